package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.MixedPrecisionPlugin;
import io.github.djlprecision.scaling.DynamicLossScaler;

/**
 * {@code 16-mixed} and {@code bf16-mixed} on LibTorch's autocast. DJL reads a bf16 tensor as
 * {@link DataType#UNKNOWN}, so outputs of that type are cast to fp32 as well.
 */
final class PyTorchMixedPrecisionPlugin extends MixedPrecisionPlugin {

    PyTorchMixedPrecisionPlugin(
            Precision precision, NativeAutocast autocast, DynamicLossScaler scaler, String path) {
        super(precision, autocast, scaler, path);
    }

    @Override
    protected boolean isHalf(DataType type) {
        return super.isHalf(type) || type == DataType.UNKNOWN;
    }
}

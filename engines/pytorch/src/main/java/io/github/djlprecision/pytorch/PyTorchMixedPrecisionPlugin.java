package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.MixedPrecisionPlugin;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.ForwardContext;

/**
 * {@code 16-mixed} and {@code bf16-mixed} on LibTorch's autocast. Blocks that cannot run under the
 * autocast type through DJL run as fp32 islands ({@link Fp32Islands}), which {@link #getPath()}
 * names. DJL reads a bf16 tensor as {@link DataType#UNKNOWN}, so outputs of that type are cast to
 * fp32 as well.
 */
final class PyTorchMixedPrecisionPlugin extends MixedPrecisionPlugin {

    private final String pathHead;
    private final Fp32Islands islands;

    /**
     * Creates the plugin.
     *
     * @param precision {@code 16-mixed} or {@code bf16-mixed}
     * @param autocast LibTorch's autocast
     * @param scaler the loss scaler, or null
     * @param pathHead the path without its closing parenthesis, e.g. {@code "native-autocast(cpu,
     *     bfloat16"}
     * @param islands the model's fp32 islands under this precision
     */
    PyTorchMixedPrecisionPlugin(
            Precision precision,
            NativeAutocast autocast,
            DynamicLossScaler scaler,
            String pathHead,
            Fp32Islands islands) {
        super(precision, autocast, scaler, pathHead + ")");
        this.pathHead = pathHead;
        this.islands = islands;
    }

    /**
     * Names the blocks that run in fp32, e.g. {@code "native-autocast(cpu, bfloat16; fp32 islands:
     * 01LambdaBlock)"}.
     */
    @Override
    public String getPath() {
        String fp32 = islands.describe();
        return fp32 == null ? super.getPath() : pathHead + "; fp32 islands: " + fp32 + ")";
    }

    @Override
    public void convertModule(Model model) {
        islands.place(model.getBlock());
    }

    @Override
    public ForwardContext forwardContext(Device device) {
        return islands.enter(device, () -> super.forwardContext(device));
    }

    @Override
    protected boolean isHalf(DataType type) {
        return super.isHalf(type) || type == DataType.UNKNOWN;
    }

    @Override
    public void close() {
        islands.close();
        super.close();
    }
}

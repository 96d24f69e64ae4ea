package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.AmpKernels;

/**
 * {@code 32-true} on LibTorch: fp32 throughout, as DJL trains by itself, with LibTorch's fused
 * optimizer kernels where {@link io.github.djlprecision.OptimizerFusion} allows them (the name
 * follows torch's {@code model.float()}, as {@link HalfPrecision} follows {@code model.half()}).
 */
final class FloatPrecision extends TruePrecision {

    FloatPrecision(AmpKernels kernels, FusedOptimizers fusion) {
        super(Precision.FLOAT_TRUE, DataType.FLOAT32, "fp32", kernels, null, fusion);
    }
}

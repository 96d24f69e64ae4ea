package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.AmpKernels;

/** Apex O0 for {@code 16-mixed}: pure fp32, Apex's baseline for comparing the other levels. */
final class ApexO0Precision extends TruePrecision {

    ApexO0Precision(AmpKernels kernels, FusedOptimizers fusion) {
        super(
                Precision.HALF_MIXED,
                DataType.FLOAT32,
                "apex-O0 true(float32)",
                kernels,
                null,
                fusion);
    }
}

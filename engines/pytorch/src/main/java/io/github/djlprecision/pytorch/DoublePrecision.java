package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.AmpKernels;

/** {@code 64-true}: everything in float64, as Lightning's {@code DoublePrecision}. */
final class DoublePrecision extends TruePrecision {

    DoublePrecision(AmpKernels kernels, RecurrentStates states, FusedOptimizers fusion) {
        super(Precision.DOUBLE_TRUE, DataType.FLOAT64, "true(float64)", kernels, states, fusion);
    }
}

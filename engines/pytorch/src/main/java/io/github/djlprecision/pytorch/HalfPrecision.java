package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.AmpKernels;

/**
 * {@code 16-true} and Apex O3: parameters, activations and gradients in float16, as Lightning's
 * {@code HalfPrecision}.
 */
final class HalfPrecision extends TruePrecision {

    /**
     * Creates the plugin.
     *
     * @param precision {@code 16-true}, or {@code 16-mixed} for Apex O3
     * @param path what runs, for {@link #getPath()}
     * @param kernels the device kernels
     * @param states gives recurrent blocks their initial states in fp16
     * @param fusion chooses a fused optimizer
     */
    HalfPrecision(
            Precision precision,
            String path,
            AmpKernels kernels,
            RecurrentStates states,
            FusedOptimizers fusion) {
        super(precision, DataType.FLOAT16, path, kernels, states, fusion);
    }
}

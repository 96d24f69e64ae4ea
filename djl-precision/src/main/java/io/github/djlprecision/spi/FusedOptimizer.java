package io.github.djlprecision.spi;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * An optimizer that updates every parameter with one multi-tensor kernel launch and, given the
 * step's non-finite flag, leaves parameters and its own state untouched inside that kernel when
 * the flag is set: torch's {@code _fused_sgd_}, {@code _fused_adam_} and {@code _fused_adamw_},
 * which Apex's FusedSGD and FusedAdam introduced. The trainer then never waits for the device to
 * decide whether a step applies.
 */
public interface FusedOptimizer extends AutoCloseable {

    /**
     * Returns a short name for reports, e.g. {@code "fused-sgd"}.
     *
     * @return the name
     */
    String getName();

    /**
     * Updates the parameters in place.
     *
     * @param parameterIds the parameters' ids, to key the optimizer's state
     * @param parameters the parameters' values on the first device
     * @param gradients their unscaled gradients, index by index
     * @param foundInf the step's one-element fp32 non-finite flag (nothing changes where it is
     *     not 0), or null when the gradients were not checked
     */
    void step(
            List<String> parameterIds,
            List<NDArray> parameters,
            List<NDArray> gradients,
            NDArray foundInf);

    /** Frees the optimizer's state. */
    @Override
    void close();
}

package io.github.djlprecision.scaling;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The device work of dynamic loss scaling, which an engine may do with fused kernels. {@link
 * DjlScalerKernels} does it with plain DJL operations on any engine.
 */
public interface ScalerKernels {

    /**
     * Returns a short name for reports, e.g. {@code "fused"} or {@code "djl"}.
     *
     * @return the name
     */
    String name();

    /**
     * Multiplies every gradient in place by {@code invScale} and tells whether any of them held
     * inf or NaN before. Reads at most one value from the device.
     *
     * @param gradients the gradients of one step, all on one device
     * @param invScale the reciprocal of the loss scale
     * @return true if any gradient element was not finite
     */
    boolean unscaleAndCheck(List<NDArray> gradients, float invScale);

    /**
     * Computes the scale of the next step.
     *
     * @param state the state of the step just done
     * @param foundNonFinite whether that step held inf or NaN gradients
     * @param config the growth and backoff settings
     * @return the next state
     */
    default ScalerState updateScale(
            ScalerState state, boolean foundNonFinite, GradScalerConfig config) {
        return state.next(foundNonFinite, config);
    }

    /**
     * Sets every gradient to zero without arithmetic, so that inf does not turn into NaN (DJL's
     * {@code GradientCollector.zeroGradients} computes {@code g - g}).
     *
     * @param gradients the gradients of a skipped step
     */
    void discardGradients(List<NDArray> gradients);
}

package io.github.djlprecision.spi;

import ai.djl.ndarray.NDArray;
import io.github.djlprecision.GradScalerConfig;
import java.util.List;

/**
 * The device work of mixed-precision training that an engine may do with fused multi-tensor
 * kernels (LibTorch's {@code _amp_*} and {@code _foreach_*} operations, one launch for a whole
 * list), and {@link DjlAmpKernels} does with plain DJL operations on any engine. None of them
 * reads from or copies Java data to the device unless its Javadoc says so.
 */
public interface AmpKernels {

    /**
     * Returns a short name for reports, e.g. {@code "fused"} or {@code "djl"}.
     *
     * @return the name
     */
    String name();

    /**
     * Sets {@code foundInf} to 1 if any gradient element is inf or NaN (it is never set back to
     * 0), and multiplies every gradient in place by {@code invScale}, as LibTorch's {@code
     * _amp_foreach_non_finite_check_and_unscale_}: the check looks at the values before they are
     * multiplied.
     *
     * @param gradients gradients, all on the device of {@code foundInf}
     * @param foundInf a one-element fp32 array
     * @param invScale a one-element fp32 array, the reciprocal of the loss scale
     */
    void unscaleAndCheck(List<NDArray> gradients, NDArray foundInf, NDArray invScale);

    /**
     * Moves the loss scale on in place after a step, by the rule of torch's {@code
     * _amp_update_scale_}, and then raises it to the floor.
     *
     * @param scale a one-element fp32 array, the scale the step used
     * @param growthTracker a one-element int32 array
     * @param foundInf the step's one-element fp32 flag
     * @param minScale a one-element fp32 array holding the floor
     * @param config the growth and backoff settings
     */
    void updateScale(
            NDArray scale,
            NDArray growthTracker,
            NDArray foundInf,
            NDArray minScale,
            GradScalerConfig config);

    /**
     * Sets every array to zero without arithmetic, so that inf does not turn into NaN (DJL's
     * {@code GradientCollector.zeroGradients} computes {@code g - g}).
     *
     * @param arrays the arrays, e.g. gradients
     */
    void zero(List<NDArray> arrays);

    /**
     * Copies each source into its target in place, converting the data type and moving between
     * devices as needed.
     *
     * @param sources the arrays to copy
     * @param targets arrays of the same shapes, index by index
     */
    void copy(List<NDArray> sources, List<NDArray> targets);
}

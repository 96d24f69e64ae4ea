package io.github.djlprecision.spi;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The gradients an optimizer step uses, once unscaled, and what the non-finite check found.
 *
 * @param gradients the gradients, in the order of {@link StepContext#parameters()}: the step's own
 *     arrays unscaled in place, or copies in the step's scope (e.g. fp32 copies of fp16 gradients)
 * @param foundInf a one-element fp32 array on the first training device, 1 if any gradient held
 *     inf or NaN and 0 otherwise (torch GradScaler's {@code found_inf}), or null when the plugin
 *     checked nothing; the trainer reads it only when it must
 */
public record UnscaledGradients(List<NDArray> gradients, NDArray foundInf) {

    /**
     * Gradients used as they are, without a check.
     *
     * @param gradients the step's gradients
     * @return the result
     */
    public static UnscaledGradients unchecked(List<NDArray> gradients) {
        return new UnscaledGradients(gradients, null);
    }

    /**
     * Returns whether the plugin checked the gradients for inf and NaN.
     *
     * @return true when {@link #foundInf()} is present
     */
    public boolean isChecked() {
        return foundInf != null;
    }
}

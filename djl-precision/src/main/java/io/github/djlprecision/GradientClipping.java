package io.github.djlprecision;

/**
 * Gradient clipping as Lightning's {@code gradient_clip_val} and {@code gradient_clip_algorithm}:
 * applied to unscaled gradients, after the non-finite check and before the optimizer.
 *
 * @param value the maximum norm ({@link Algorithm#NORM}) or absolute value ({@link
 *     Algorithm#VALUE}), a finite number above 0
 * @param algorithm how gradients are clipped
 */
public record GradientClipping(double value, Algorithm algorithm) {

    /** How gradients are clipped. */
    public enum Algorithm {
        /** Scale all gradients together so that their global L2 norm is at most the value. */
        NORM,
        /** Clamp every gradient element to [-value, value]. */
        VALUE
    }

    /**
     * Validates the settings.
     *
     * @param value the clipping value
     * @param algorithm the algorithm
     * @throws IllegalArgumentException if the value is not finite and above 0, or the algorithm
     *     is null
     */
    public GradientClipping {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(
                    "Gradient clip value must be a finite number above 0, got " + value);
        }
        if (algorithm == null) {
            throw new IllegalArgumentException(
                    "Gradient clip algorithm must not be null. Accepted values: NORM, VALUE.");
        }
    }
}

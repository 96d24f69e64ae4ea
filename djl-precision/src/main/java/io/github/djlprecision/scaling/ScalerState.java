package io.github.djlprecision.scaling;

import io.github.djlprecision.GradScalerConfig;

/**
 * What dynamic loss scaling carries from one step to the next, as PyTorch's GradScaler does.
 *
 * @param scale the factor the next loss is multiplied by
 * @param growthTracker consecutive finite steps since the scale last changed
 */
public record ScalerState(float scale, int growthTracker) {

    /**
     * Validates the state.
     *
     * @param scale a finite value above 0
     * @param growthTracker at least 0
     * @throws IllegalArgumentException if either is out of its range
     */
    public ScalerState {
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException(
                    "The loss scale must be a finite number above 0, got " + scale);
        }
        if (growthTracker < 0) {
            throw new IllegalArgumentException(
                    "The growth tracker counts steps and must be at least 0, got " + growthTracker);
        }
    }

    /**
     * Returns the state after one step, by the rule of LibTorch's {@code _amp_update_scale_}: a
     * non-finite step multiplies the scale by the backoff factor and resets the tracker; the
     * growth-interval-th finite step in a row multiplies it by the growth factor, unless that would
     * overflow fp32. The scale then never goes below the floor.
     *
     * @param foundNonFinite whether any gradient of the step was inf or NaN
     * @param config the growth, backoff and floor settings
     * @return the next state
     */
    public ScalerState next(boolean foundNonFinite, GradScalerConfig config) {
        if (foundNonFinite) {
            float backedOff = (float) (scale * (double) config.getBackoffFactor());
            return new ScalerState(Math.max(backedOff, config.getMinScale()), 0);
        }
        int successful = growthTracker + 1;
        if (successful == config.getGrowthInterval()) {
            float grown = (float) (scale * (double) config.getGrowthFactor());
            return new ScalerState(Float.isFinite(grown) ? grown : scale, 0);
        }
        return new ScalerState(scale, successful);
    }
}

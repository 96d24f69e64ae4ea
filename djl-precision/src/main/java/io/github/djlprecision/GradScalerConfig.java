package io.github.djlprecision;

/**
 * Settings of dynamic loss scaling, with the defaults and the meaning of PyTorch's {@code
 * torch.amp.GradScaler}, plus a floor under the scale (DeepSpeed's {@code min_loss_scale}), which
 * torch does not have: without one, a run of overflowing steps drives the scale to 0, its inverse
 * to infinity, and the next finite gradient to inf or NaN.
 */
public final class GradScalerConfig {

    private final float initScale;
    private final float growthFactor;
    private final float backoffFactor;
    private final int growthInterval;
    private final float minScale;
    private final boolean fusedKernels;

    private GradScalerConfig(Builder builder) {
        initScale = builder.initScale;
        growthFactor = builder.growthFactor;
        backoffFactor = builder.backoffFactor;
        growthInterval = builder.growthInterval;
        minScale = builder.minScale;
        fusedKernels = builder.fusedKernels;
    }

    /**
     * Returns the defaults: initial scale 2^16, growth 2.0, backoff 0.5, growth interval 2000 (as
     * torch's GradScaler), floor 1.0 (as DeepSpeed).
     *
     * @return the default settings
     */
    public static GradScalerConfig defaults() {
        return builder().build();
    }

    /**
     * Returns a builder that starts from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the scale the first step uses.
     *
     * @return the initial scale
     */
    public float getInitScale() {
        return initScale;
    }

    /**
     * Returns the factor the scale grows by after {@link #getGrowthInterval()} finite steps.
     *
     * @return the growth factor, above 1
     */
    public float getGrowthFactor() {
        return growthFactor;
    }

    /**
     * Returns the factor the scale shrinks by after a non-finite step.
     *
     * @return the backoff factor, in (0, 1)
     */
    public float getBackoffFactor() {
        return backoffFactor;
    }

    /**
     * Returns how many consecutive finite steps grow the scale.
     *
     * @return the growth interval, at least 1
     */
    public int getGrowthInterval() {
        return growthInterval;
    }

    /**
     * Returns the floor under the scale: a step that overflows at the floor is skipped and the
     * scale stays there. At the default floor of 1 unscaling never enlarges a gradient, so a
     * gradient that is finite scaled stays finite unscaled.
     *
     * @return the floor, in [2^-126, initial scale]
     */
    public float getMinScale() {
        return minScale;
    }

    /**
     * Returns whether the engine's fused kernels may be used where it has them.
     *
     * @return true to prefer fused kernels
     */
    public boolean isFusedKernels() {
        return fusedKernels;
    }

    @Override
    public String toString() {
        return "GradScalerConfig{initScale="
                + initScale
                + ", growthFactor="
                + growthFactor
                + ", backoffFactor="
                + backoffFactor
                + ", growthInterval="
                + growthInterval
                + ", minScale="
                + minScale
                + ", fusedKernels="
                + fusedKernels
                + '}';
    }

    /** Builds {@link GradScalerConfig}; every setter validates at once. */
    public static final class Builder {

        private float initScale = 65536f;
        private float growthFactor = 2f;
        private float backoffFactor = 0.5f;
        private int growthInterval = 2000;
        private float minScale = 1f;
        private boolean fusedKernels = true;

        Builder() {}

        /**
         * Sets the scale of the first step (torch's {@code init_scale}, default 2^16).
         *
         * @param initScale a finite value above 0: the factor the loss is multiplied by
         * @return this builder
         * @throws IllegalArgumentException if it is not finite and above 0
         */
        public Builder optInitScale(float initScale) {
            if (!(initScale > 0) || Float.isInfinite(initScale)) {
                throw new IllegalArgumentException(
                        "initScale must be a finite number above 0, got " + initScale);
            }
            this.initScale = initScale;
            return this;
        }

        /**
         * Sets the factor the scale grows by (torch's {@code growth_factor}, default 2.0).
         *
         * @param growthFactor a finite value above 1
         * @return this builder
         * @throws IllegalArgumentException if it is not finite and above 1
         */
        public Builder optGrowthFactor(float growthFactor) {
            if (!(growthFactor > 1) || Float.isInfinite(growthFactor)) {
                throw new IllegalArgumentException(
                        "growthFactor must be a finite number above 1, got " + growthFactor);
            }
            this.growthFactor = growthFactor;
            return this;
        }

        /**
         * Sets the factor the scale shrinks by after a non-finite step (torch's {@code
         * backoff_factor}, default 0.5).
         *
         * @param backoffFactor a value in (0, 1)
         * @return this builder
         * @throws IllegalArgumentException if it is not strictly between 0 and 1
         */
        public Builder optBackoffFactor(float backoffFactor) {
            if (!(backoffFactor > 0 && backoffFactor < 1)) {
                throw new IllegalArgumentException(
                        "backoffFactor must lie strictly between 0 and 1, got " + backoffFactor);
            }
            this.backoffFactor = backoffFactor;
            return this;
        }

        /**
         * Sets how many consecutive finite steps grow the scale (torch's {@code growth_interval},
         * default 2000).
         *
         * @param growthInterval a number of optimizer steps, at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1
         */
        public Builder optGrowthInterval(int growthInterval) {
            if (growthInterval < 1) {
                throw new IllegalArgumentException(
                        "growthInterval must be at least 1, got " + growthInterval);
            }
            this.growthInterval = growthInterval;
            return this;
        }

        /**
         * Sets the floor under the scale (default 1.0, DeepSpeed's {@code min_loss_scale}). Below
         * 1 unscaling enlarges gradients, so the trainer then checks them once more after
         * unscaling.
         *
         * @param minScale a value of at least 2^-126 (the smallest normal fp32, whose inverse is
         *     still finite) and at most the initial scale
         * @return this builder
         * @throws IllegalArgumentException if it is below 2^-126 or not finite ({@link
         *     Builder#build()} checks it against the initial scale)
         */
        public Builder optMinScale(float minScale) {
            if (!(minScale >= Float.MIN_NORMAL) || Float.isInfinite(minScale)) {
                throw new IllegalArgumentException(
                        "minScale must be a finite number of at least 2^-126 (1.1754944E-38), got "
                                + minScale);
            }
            this.minScale = minScale;
            return this;
        }

        /**
         * Sets whether the engine's fused unscale and update kernels may be used (default true).
         * Without them every engine uses the same pure-DJL operations.
         *
         * @param fusedKernels false to force the pure-DJL path
         * @return this builder
         */
        public Builder optFusedKernels(boolean fusedKernels) {
            this.fusedKernels = fusedKernels;
            return this;
        }

        /**
         * Builds the settings.
         *
         * @return the settings
         * @throws IllegalArgumentException if the floor is above the initial scale
         */
        public GradScalerConfig build() {
            if (minScale > initScale) {
                throw new IllegalArgumentException(
                        "minScale ("
                                + minScale
                                + ") cannot exceed initScale ("
                                + initScale
                                + "): the scale starts at initScale and never goes below"
                                + " minScale.");
            }
            return new GradScalerConfig(this);
        }
    }
}

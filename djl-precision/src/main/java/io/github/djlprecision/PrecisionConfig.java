package io.github.djlprecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a model should train or run: the precision, and the settings of loss scaling, gradient
 * clipping and plugin choice. Build one with {@link #builder()} or {@link #of(String)}.
 */
public final class PrecisionConfig {

    private final Precision precision;
    private final AmpLevel ampLevel;
    private final GradScalerConfig gradScaler;
    private final GradientClipping gradientClipping;
    private final boolean nativeAutocast;
    private final String pluginName;
    private final List<PluginDecoratorConfig> decorators;
    private final int lowScaleDiagnosisSteps;
    private final WeightConversion weightConversion;
    private final OptimizerFusion optimizerFusion;
    private final ChannelsLast channelsLast;

    private PrecisionConfig(Builder builder) {
        precision = builder.precision;
        ampLevel = builder.ampLevel;
        gradScaler = builder.gradScaler;
        gradientClipping = builder.gradientClipping;
        nativeAutocast = builder.nativeAutocast;
        pluginName = builder.pluginName;
        decorators = List.copyOf(builder.decorators);
        lowScaleDiagnosisSteps = builder.lowScaleDiagnosisSteps;
        weightConversion = builder.weightConversion;
        optimizerFusion = builder.optimizerFusion;
        channelsLast = builder.channelsLast;
    }

    /**
     * Returns the settings for a precision value, everything else at its default.
     *
     * @param precision a Lightning precision value such as {@code "16-mixed"}
     * @return the settings
     * @throws IllegalArgumentException for an unknown value
     */
    public static PrecisionConfig of(String precision) {
        return builder().optPrecision(precision).build();
    }

    /**
     * Returns a builder; its precision is {@code 32-true} until set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the requested precision.
     *
     * @return the precision
     */
    public Precision getPrecision() {
        return precision;
    }

    /**
     * Returns the Apex optimization level, if one was requested.
     *
     * @return the level, or empty for the native path
     */
    public Optional<AmpLevel> getAmpLevel() {
        return Optional.ofNullable(ampLevel);
    }

    /**
     * Returns the loss-scaling settings (used by {@code 16-mixed} and Apex O1/O2).
     *
     * @return the settings
     */
    public GradScalerConfig getGradScaler() {
        return gradScaler;
    }

    /**
     * Returns the gradient clipping settings, if clipping was requested.
     *
     * @return the clipping settings, or empty
     */
    public Optional<GradientClipping> getGradientClipping() {
        return Optional.ofNullable(gradientClipping);
    }

    /**
     * Returns whether the engine's own autocast may be used for {@code *-mixed} modes.
     *
     * @return false if the user declined native autocast
     */
    public boolean isNativeAutocast() {
        return nativeAutocast;
    }

    /**
     * Returns the name of the plugin provider the user asked for, if any.
     *
     * @return the provider name, or empty to pick by engine and precision
     */
    public Optional<String> getPluginName() {
        return Optional.ofNullable(pluginName);
    }

    /**
     * Returns the plugin decorators to apply, in the order they were added (the first wraps the
     * plugin, the next wraps that, and so on), e.g. the precision circuit breaker of the {@code
     * djl-precision-breaker} module.
     *
     * @return the decorators' settings; empty by default
     */
    public List<PluginDecoratorConfig> getDecorators() {
        return decorators;
    }

    /**
     * Returns after how many consecutive steps with a loss scale below 1 the trainer logs a
     * diagnosis and tells the trainer's {@code PrecisionListener}s, and after how many
     * consecutive skipped steps at the scale's floor it throws DJL's {@code
     * TrainingDivergedException}.
     *
     * @return the number of steps; 0 when both are off
     */
    public int getLowScaleDiagnosisSteps() {
        return lowScaleDiagnosisSteps;
    }

    /**
     * Returns whether inference may convert the model's fp32 weights to fp16 once.
     *
     * @return the setting; {@link WeightConversion#AUTO} unless set
     */
    public WeightConversion getWeightConversion() {
        return weightConversion;
    }

    /**
     * Returns whether training may run the optimizer as one fused kernel.
     *
     * @return the setting; {@link OptimizerFusion#AUTO} unless set
     */
    public OptimizerFusion getOptimizerFusion() {
        return optimizerFusion;
    }

    /**
     * Returns whether convolutional models compute in the channels-last memory format.
     *
     * @return the setting; {@link ChannelsLast#AUTO} unless set
     */
    public ChannelsLast getChannelsLast() {
        return channelsLast;
    }

    @Override
    public String toString() {
        return precision + (ampLevel == null ? "" : " (amp_level " + ampLevel + ")");
    }

    /** Builds {@link PrecisionConfig}. */
    public static final class Builder {

        private Precision precision = Precision.FLOAT_TRUE;
        private AmpLevel ampLevel;
        private GradScalerConfig gradScaler = GradScalerConfig.defaults();
        private GradientClipping gradientClipping;
        private boolean nativeAutocast = true;
        private String pluginName;
        private final List<PluginDecoratorConfig> decorators = new ArrayList<>();
        private int lowScaleDiagnosisSteps = 100;
        private WeightConversion weightConversion = WeightConversion.AUTO;
        private OptimizerFusion optimizerFusion = OptimizerFusion.AUTO;
        private ChannelsLast channelsLast = ChannelsLast.AUTO;

        Builder() {}

        /**
         * Sets the precision from its Lightning value.
         *
         * @param precision e.g. {@code "16-mixed"}, {@code "bf16-mixed"}, {@code "32-true"}
         * @return this builder
         * @throws IllegalArgumentException for an unknown value
         */
        public Builder optPrecision(String precision) {
            this.precision = Precision.parse(precision);
            return this;
        }

        /**
         * Sets the precision.
         *
         * @param precision the precision
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder optPrecision(Precision precision) {
            if (precision == null) {
                throw new IllegalArgumentException("Precision must not be null.");
            }
            this.precision = precision;
            return this;
        }

        /**
         * Sets the Apex optimization level, as Lightning's {@code amp_level}; needs {@code
         * 16-mixed}.
         *
         * @param ampLevel {@code O0}, {@code O1}, {@code O2} or {@code O3}
         * @return this builder
         * @throws IllegalArgumentException for another value, naming the accepted ones
         */
        public Builder optAmpLevel(String ampLevel) {
            this.ampLevel = AmpLevel.parse(ampLevel);
            return this;
        }

        /**
         * Sets the loss-scaling settings.
         *
         * @param gradScaler the settings
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder optGradScaler(GradScalerConfig gradScaler) {
            if (gradScaler == null) {
                throw new IllegalArgumentException("GradScalerConfig must not be null.");
            }
            this.gradScaler = gradScaler;
            return this;
        }

        /**
         * Clips gradients after unscaling, as Lightning's {@code gradient_clip_val}.
         *
         * @param value the maximum norm (L2 over all gradients together, as {@code
         *     torch.nn.utils.clip_grad_norm_}) or the largest absolute value of an element, in the
         *     gradients' units after unscaling; finite and above 0
         * @param algorithm {@link GradientClipping.Algorithm#NORM} or {@link
         *     GradientClipping.Algorithm#VALUE}
         * @return this builder
         * @throws IllegalArgumentException if the value is not finite and positive, or the
         *     algorithm is null
         */
        public Builder optGradientClipping(double value, GradientClipping.Algorithm algorithm) {
            this.gradientClipping = new GradientClipping(value, algorithm);
            return this;
        }

        /**
         * Sets whether the engine's own autocast may be used (default true). Declining it makes
         * {@code 16-mixed} use the Apex-style O2 fallback where one is installed.
         *
         * @param nativeAutocast false to decline native autocast
         * @return this builder
         */
        public Builder optNativeAutocast(boolean nativeAutocast) {
            this.nativeAutocast = nativeAutocast;
            return this;
        }

        /**
         * Picks a plugin provider by name instead of by engine and precision, e.g. a provider the
         * user ships in a jar of their own.
         *
         * @param pluginName the provider's name ({@code PrecisionPluginProvider.getName()})
         * @return this builder
         * @throws IllegalArgumentException if it is null or blank
         */
        public Builder optPluginName(String pluginName) {
            if (pluginName == null || pluginName.isBlank()) {
                throw new IllegalArgumentException("Plugin name must not be null or blank.");
            }
            this.pluginName = pluginName;
            return this;
        }

        /**
         * Adds a plugin decorator: a plugin found through {@link java.util.ServiceLoader} that
         * wraps the precision's own plugin, named by {@link PluginDecoratorConfig#getDecoratorName()}
         * (e.g. {@code PrecisionBreakerConfig.defaults()} from the {@code djl-precision-breaker}
         * module). Decorators apply in the order added; a second one with the same name replaces
         * the first.
         *
         * @param decorator the decorator's settings
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder optDecorator(PluginDecoratorConfig decorator) {
            if (decorator == null) {
                throw new IllegalArgumentException(
                        "The decorator settings must not be null; leave optDecorator out for none.");
            }
            decorators.removeIf(d -> d.getDecoratorName().equals(decorator.getDecoratorName()));
            decorators.add(decorator);
            return this;
        }

        /**
         * Sets after how many consecutive steps with a loss scale below 1 the trainer diagnoses
         * that fp16 cannot hold the model and suggests {@code bf16-mixed}, and after how many
         * consecutive skipped steps at the scale's floor ({@link GradScalerConfig#getMinScale()})
         * it stops training with DJL's {@code TrainingDivergedException} (default 100).
         *
         * @param steps at least 1, or 0 to switch the diagnosis off
         * @return this builder
         * @throws IllegalArgumentException if it is negative
         */
        public Builder optLowScaleDiagnosisSteps(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException(
                        "Low-scale diagnosis steps must be at least 0 (0: off), got " + steps);
            }
            this.lowScaleDiagnosisSteps = steps;
            return this;
        }

        /**
         * Sets whether inference ({@code PrecisionBlock.wrap}) may convert the model's fp32 weights
         * to fp16 once instead of casting them under autocast on every call; see {@link
         * WeightConversion}. The trainer ignores it.
         *
         * @param weightConversion {@link WeightConversion#AUTO} (default), {@link
         *     WeightConversion#ALWAYS} or {@link WeightConversion#NEVER}
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder optWeightConversion(WeightConversion weightConversion) {
            if (weightConversion == null) {
                throw new IllegalArgumentException(
                        "WeightConversion must not be null. Accepted values: AUTO, ALWAYS,"
                                + " NEVER.");
            }
            this.weightConversion = weightConversion;
            return this;
        }

        /**
         * Sets whether training may run the user's optimizer as one fused kernel, which skips
         * steps with inf or NaN gradients on the device instead of reading the flag to the host;
         * see {@link OptimizerFusion} for which optimizers and the documented differences.
         *
         * @param optimizerFusion {@link OptimizerFusion#AUTO} (default), {@link
         *     OptimizerFusion#ALWAYS} or {@link OptimizerFusion#NEVER}
         * @return this builder
         */
        public Builder optOptimizerFusion(OptimizerFusion optimizerFusion) {
            if (optimizerFusion == null) {
                throw new IllegalArgumentException(
                        "OptimizerFusion must not be null. Accepted values: AUTO, ALWAYS, NEVER.");
            }
            this.optimizerFusion = optimizerFusion;
            return this;
        }

        /**
         * Sets whether convolutional models compute in the channels-last memory format (PyTorch's
         * {@code torch.channels_last}); see {@link ChannelsLast}. The one switch to turn the
         * library's default off: {@code optChannelsLast(ChannelsLast.NEVER)}.
         *
         * @param channelsLast {@link ChannelsLast#AUTO} (default: on CUDA under the 16-bit
         *     precisions), {@link ChannelsLast#ALWAYS} or {@link ChannelsLast#NEVER}
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder optChannelsLast(ChannelsLast channelsLast) {
            if (channelsLast == null) {
                throw new IllegalArgumentException(
                        "ChannelsLast must not be null. Accepted values: AUTO, ALWAYS, NEVER.");
            }
            this.channelsLast = channelsLast;
            return this;
        }

        /**
         * Builds the settings, checking that they fit together.
         *
         * @return the settings
         * @throws IllegalArgumentException if an Apex level is combined with anything but {@code
         *     16-mixed}, or weight conversion is required where there is nothing to convert to
         */
        public PrecisionConfig build() {
            if (weightConversion == WeightConversion.ALWAYS
                    && (precision.computeType().getNumOfBytes() > 2 || ampLevel != null)) {
                throw new IllegalArgumentException(
                        "Weight conversion ALWAYS converts weights to 16 bits for inference; it"
                                + " applies to precisions '16-true', '16-mixed' and 'bf16-mixed'"
                                + " without amp_level, not '"
                                + precision
                                + "'"
                                + (ampLevel == null ? "" : " with amp_level " + ampLevel)
                                + ". Use AUTO or NEVER.");
            }
            if (ampLevel != null && precision != Precision.HALF_MIXED) {
                throw new IllegalArgumentException(
                        "amp_level "
                                + ampLevel
                                + " only applies to precision '16-mixed' (Apex levels are fp16"
                                + " recipes), not '"
                                + precision
                                + "'. Use precision '16-mixed' with amp_level O0-O3, or drop"
                                + " amp_level.");
            }
            return new PrecisionConfig(this);
        }
    }
}

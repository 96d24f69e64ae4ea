package io.github.djlprecision.breaker;

import io.github.djlprecision.PluginDecoratorConfig;
import io.github.djlprecision.spi.StepOutcome;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.util.concurrent.TimeUnit;

/**
 * Settings of the precision circuit breaker: when a run in {@code 16-mixed} (or {@code
 * bf16-mixed}) is in trouble, it degrades to the next safer precision and later probes the faster
 * one again. Every duration is counted in optimizer steps, never in wall-clock time, so a run is
 * reproducible and a slow step is never taken for a failure.
 *
 * <p>Turn it on with {@code PrecisionConfig.builder().optDecorator(PrecisionBreakerConfig.defaults())}
 * and this module on the class path; it is found through {@link java.util.ServiceLoader} as {@value
 * #NAME}. Defaults, and why (see {@code docs/troubleshooting.md}):
 *
 * <ul>
 *   <li>sliding window 100 steps, judged only once full (minimum 100 steps): a healthy GradScaler
 *       skips a burst of at most about 16 steps at the start (2^16 halved towards the working
 *       scale) and then about one step per growth interval (2000), far below the threshold;
 *   <li>failure-rate threshold 25%: a quarter of all steps skipped is never healthy loss scaling;
 *   <li>loss-scale floor 1.0, the scaler's own default floor (DeepSpeed's {@code
 *       min_loss_scale}): a step that overflows at a scale of 1 or less overflows fp16 on its own,
 *       not because of the scaling, so waiting for the window is pointless;
 *   <li>wait 200 steps, then a probe of 10 steps: if fp16 never recovers, failed probes cost at
 *       most about 10 skipped steps in 210 (under 5%).
 * </ul>
 */
public final class PrecisionBreakerConfig implements PluginDecoratorConfig {

    /** The name the breaker's decorator is found by. */
    public static final String NAME = "circuit-breaker";

    private final int slidingWindowSize;
    private final int minimumNumberOfSteps;
    private final float failureRateThreshold;
    private final float lossScaleFloor;
    private final int waitSteps;
    private final int probeSteps;

    private PrecisionBreakerConfig(Builder builder) {
        slidingWindowSize = builder.slidingWindowSize;
        minimumNumberOfSteps = builder.minimumNumberOfSteps;
        failureRateThreshold = builder.failureRateThreshold;
        lossScaleFloor = builder.lossScaleFloor;
        waitSteps = builder.waitSteps;
        probeSteps = builder.probeSteps;
    }

    /**
     * Returns the default settings.
     *
     * @return the defaults
     */
    public static PrecisionBreakerConfig defaults() {
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

    @Override
    public String getDecoratorName() {
        return NAME;
    }

    /**
     * Returns how many recent steps the failure rate is computed over.
     *
     * @return the window, in steps
     */
    public int getSlidingWindowSize() {
        return slidingWindowSize;
    }

    /**
     * Returns how many steps must be recorded before the failure rate is judged.
     *
     * @return the minimum, in steps
     */
    public int getMinimumNumberOfSteps() {
        return minimumNumberOfSteps;
    }

    /**
     * Returns the share of skipped steps, in percent, that trips the breaker.
     *
     * @return the threshold, in (0, 100]
     */
    public float getFailureRateThreshold() {
        return failureRateThreshold;
    }

    /**
     * Returns the loss scale at or below which an overflowing step trips the breaker at once; 0
     * switches the floor off.
     *
     * @return the floor
     */
    public float getLossScaleFloor() {
        return lossScaleFloor;
    }

    /**
     * Returns how many steps run in the safer precision before the faster one is probed.
     *
     * @return the wait, in steps
     */
    public int getWaitSteps() {
        return waitSteps;
    }

    /**
     * Returns how many steps a probe of the faster precision lasts.
     *
     * @return the probe length, in steps
     */
    public int getProbeSteps() {
        return probeSteps;
    }

    /** Resilience4j's settings for one rung of the ladder. */
    CircuitBreakerConfig toResilience4j() {
        return CircuitBreakerConfig.custom()
                .slidingWindow(slidingWindowSize, minimumNumberOfSteps, SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(failureRateThreshold)
                .permittedNumberOfCallsInHalfOpenState(probeSteps)
                // a skipped step returns normally; its outcome is what counts as a failure
                .recordResult(result -> result instanceof StepOutcome o && !o.applied())
                // time is counted in steps: a call takes no time, so no step is ever "slow", and
                // the wait in OPEN is ended by PrecisionCircuitBreaker, never by the wall clock
                .currentTimestampFunction(clock -> 0L, TimeUnit.NANOSECONDS)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .writableStackTraceEnabled(false)
                .build();
    }

    @Override
    public String toString() {
        return "PrecisionBreakerConfig{slidingWindowSize="
                + slidingWindowSize
                + ", minimumNumberOfSteps="
                + minimumNumberOfSteps
                + ", failureRateThreshold="
                + failureRateThreshold
                + ", lossScaleFloor="
                + lossScaleFloor
                + ", waitSteps="
                + waitSteps
                + ", probeSteps="
                + probeSteps
                + '}';
    }

    /** Builds {@link PrecisionBreakerConfig}; every setter validates at once. */
    public static final class Builder {

        private int slidingWindowSize = 100;
        private int minimumNumberOfSteps = 100;
        private float failureRateThreshold = 25f;
        private float lossScaleFloor = 1f;
        private int waitSteps = 200;
        private int probeSteps = 10;

        Builder() {}

        /**
         * Sets how many recent steps the failure rate is computed over (Resilience4j's
         * count-based {@code slidingWindowSize}, counted in optimizer steps).
         *
         * @param steps at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1
         */
        public Builder optSlidingWindowSize(int steps) {
            this.slidingWindowSize = atLeastOne("slidingWindowSize", steps);
            return this;
        }

        /**
         * Sets how many steps must be recorded before the failure rate is judged (at most the
         * window size; Resilience4j's {@code minimumNumberOfCalls}).
         *
         * @param steps at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1 ({@link #build()} checks it against
         *     the window)
         */
        public Builder optMinimumNumberOfSteps(int steps) {
            this.minimumNumberOfSteps = atLeastOne("minimumNumberOfSteps", steps);
            return this;
        }

        /**
         * Sets the share of skipped steps in the window that trips the breaker (Resilience4j's
         * {@code failureRateThreshold}).
         *
         * @param percent a percentage in (0, 100]
         * @return this builder
         * @throws IllegalArgumentException if it is outside (0, 100]
         */
        public Builder optFailureRateThreshold(float percent) {
            if (!(percent > 0 && percent <= 100)) {
                throw new IllegalArgumentException(
                        "failureRateThreshold is a percentage in (0, 100], got " + percent);
            }
            this.failureRateThreshold = percent;
            return this;
        }

        /**
         * Sets the loss scale at or below which an overflowing step trips the breaker at once.
         *
         * @param floor a loss scale, finite and at least 0; 0 switches the floor off
         * @return this builder
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Builder optLossScaleFloor(float floor) {
            if (!(floor >= 0) || Float.isInfinite(floor)) {
                throw new IllegalArgumentException(
                        "lossScaleFloor must be a finite number of at least 0 (0: off), got "
                                + floor);
            }
            this.lossScaleFloor = floor;
            return this;
        }

        /**
         * Sets how many steps run in the safer precision before the faster one is probed (in
         * place of Resilience4j's wall-clock {@code waitDurationInOpenState}).
         *
         * @param steps at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1
         */
        public Builder optWaitSteps(int steps) {
            this.waitSteps = atLeastOne("waitSteps", steps);
            return this;
        }

        /**
         * Sets how many steps a probe of the faster precision lasts (Resilience4j's {@code
         * permittedNumberOfCallsInHalfOpenState}).
         *
         * @param steps at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1
         */
        public Builder optProbeSteps(int steps) {
            this.probeSteps = atLeastOne("probeSteps", steps);
            return this;
        }

        /**
         * Builds the settings.
         *
         * @return the settings
         * @throws IllegalArgumentException if the minimum number of steps exceeds the window
         */
        public PrecisionBreakerConfig build() {
            if (minimumNumberOfSteps > slidingWindowSize) {
                throw new IllegalArgumentException(
                        "minimumNumberOfSteps ("
                                + minimumNumberOfSteps
                                + ") cannot exceed slidingWindowSize ("
                                + slidingWindowSize
                                + "): the window never holds that many steps.");
            }
            return new PrecisionBreakerConfig(this);
        }

        private static int atLeastOne(String name, int steps) {
            if (steps < 1) {
                throw new IllegalArgumentException(name + " must be at least 1 step, got " + steps);
            }
            return steps;
        }
    }
}

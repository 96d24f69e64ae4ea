package io.github.djlprecision.scaling;

import io.github.djlprecision.GradScalerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The loss scaler's checkpoint state as strings (torch's {@code GradScaler.state_dict}: scale,
 * growth tracker and the growth, backoff and floor settings), and its validated restore.
 */
public final class ScalerStateDict {

    /** Key of the scale the next step uses. */
    public static final String SCALE = "scaler.scale";

    /** Key of the count of finite steps since the scale last changed. */
    public static final String GROWTH_TRACKER = "scaler.growth_tracker";

    private static final String INIT_SCALE = "scaler.init_scale";
    private static final String GROWTH_FACTOR = "scaler.growth_factor";
    private static final String BACKOFF_FACTOR = "scaler.backoff_factor";
    private static final String GROWTH_INTERVAL = "scaler.growth_interval";
    private static final String MIN_SCALE = "scaler.min_scale";
    private static final String PREFIX = "scaler.";

    private ScalerStateDict() {}

    /**
     * Returns a scaler's state; reads the device once.
     *
     * @param scaler the scaler
     * @return the state, keys prefixed {@code scaler.}
     */
    public static Map<String, String> save(DynamicLossScaler scaler) {
        ScalerState state = scaler.getState();
        GradScalerConfig config = scaler.getConfig();
        Map<String, String> dict = new LinkedHashMap<>();
        dict.put(SCALE, Float.toString(state.scale()));
        dict.put(GROWTH_TRACKER, Integer.toString(state.growthTracker()));
        dict.put(INIT_SCALE, Float.toString(config.getInitScale()));
        dict.put(GROWTH_FACTOR, Float.toString(config.getGrowthFactor()));
        dict.put(BACKOFF_FACTOR, Float.toString(config.getBackoffFactor()));
        dict.put(GROWTH_INTERVAL, Integer.toString(config.getGrowthInterval()));
        dict.put(MIN_SCALE, Float.toString(config.getMinScale()));
        return dict;
    }

    /**
     * Restores a scaler from {@link #save}'s keys; settings keys that are absent keep the scaler's
     * values. Only the choice of kernels stays as configured. Every value is checked for what it
     * means, against the other saved values where it depends on them.
     *
     * @param scaler the scaler
     * @param state the saved state; no {@code scaler.} key at all restores nothing
     * @throws IllegalArgumentException naming the key, its value and the accepted range
     */
    public static void load(DynamicLossScaler scaler, Map<String, String> state) {
        if (!state.containsKey(SCALE)) {
            for (String key : state.keySet()) {
                if (key.startsWith(PREFIX)) {
                    throw new IllegalArgumentException(
                            "Saved loss-scaler state has "
                                    + key
                                    + " but no "
                                    + SCALE
                                    + "; accepted: all of the scaler's keys, or none.");
                }
            }
            return;
        }
        GradScalerConfig current = scaler.getConfig();
        GradScalerConfig.Builder builder =
                GradScalerConfig.builder().optFusedKernels(current.isFusedKernels());
        float initScale =
                check(
                        state,
                        INIT_SCALE,
                        floatOf(state, INIT_SCALE, current.getInitScale()),
                        "a finite number above 0",
                        builder::optInitScale);
        check(
                state,
                GROWTH_FACTOR,
                floatOf(state, GROWTH_FACTOR, current.getGrowthFactor()),
                "a finite number above 1",
                builder::optGrowthFactor);
        check(
                state,
                BACKOFF_FACTOR,
                floatOf(state, BACKOFF_FACTOR, current.getBackoffFactor()),
                "a number strictly between 0 and 1",
                builder::optBackoffFactor);
        int growthInterval =
                check(
                        state,
                        GROWTH_INTERVAL,
                        intOf(state, GROWTH_INTERVAL, current.getGrowthInterval()),
                        "a whole number of at least 1",
                        builder::optGrowthInterval);
        float minScale =
                check(
                        state,
                        MIN_SCALE,
                        floatOf(state, MIN_SCALE, current.getMinScale()),
                        "a number in [2^-126 (1.1754944E-38), "
                                + INIT_SCALE
                                + " "
                                + initScale
                                + "]",
                        floor -> {
                            builder.optMinScale(floor);
                            if (floor > initScale) {
                                throw new IllegalArgumentException("above the initial scale");
                            }
                        });
        float scale =
                check(
                        state,
                        SCALE,
                        floatOf(state, SCALE, Float.NaN),
                        "a finite number in [" + MIN_SCALE + " " + minScale + ", 3.4028235E38]",
                        value -> {
                            if (!(value >= minScale) || Float.isInfinite(value)) {
                                throw new IllegalArgumentException("out of range");
                            }
                        });
        int growthTracker =
                check(
                        state,
                        GROWTH_TRACKER,
                        intOf(state, GROWTH_TRACKER, 0),
                        "a whole number in [0, "
                                + (growthInterval - 1)
                                + "] (below "
                                + GROWTH_INTERVAL
                                + " "
                                + growthInterval
                                + ")",
                        tracker -> {
                            if (tracker < 0 || tracker >= growthInterval) {
                                throw new IllegalArgumentException("out of range");
                            }
                        });
        scaler.restore(new ScalerState(scale, growthTracker), builder.build());
    }

    /**
     * Refuses saved state a recipe cannot restore, with the reason, instead of dropping it: the
     * circuit breaker's keys (the checkpoint was saved with the breaker on, and resuming without
     * it would go back to the guarded precision and lose what the breaker found), loss-scaler keys
     * where the recipe keeps no loss scale, and any other key.
     *
     * @param precision the recipe's precision, for the message
     * @param state the saved state, keys without the {@code precision.} prefix
     * @param scaling whether the recipe keeps loss-scaler state (its {@code scaler.} keys pass)
     * @throws IllegalArgumentException naming the key and what is accepted
     */
    public static void refuseForeignKeys(String precision, Map<String, String> state, boolean scaling) {
        for (String key : state.keySet()) {
            if (key.startsWith("breaker.") || key.startsWith("rung.")) {
                throw new IllegalArgumentException(
                        "The checkpoint was saved with the precision circuit breaker on"
                                + " (precision.breaker.active="
                                + state.get("breaker.active")
                                + "); without it, training would go back to "
                                + precision
                                + " and lose the breaker's state. Resume with the breaker on"
                                + " (PrecisionConfig.Builder.optDecorator(PrecisionBreakerConfig...)),"
                                + " or remove the precision.breaker.* and precision.rung.*"
                                + " properties to resume "
                                + precision
                                + " without it; accepted: "
                                + (scaling ? "scaler.* keys." : "no keys."));
            }
            if (scaling && key.startsWith(PREFIX)) {
                continue;
            }
            throw new IllegalArgumentException(
                    precision
                            + (key.startsWith(PREFIX)
                                    ? " keeps no loss-scaler state"
                                    : " keeps no saved state under " + key)
                            + ", but the saved state has "
                            + key
                            + "; accepted: "
                            + (scaling ? "scaler.* keys." : "no scaler.* keys.")
                            + " Remove the stale property to resume.");
        }
    }

    /** Parses and validates a value; either failure is reported with the accepted range. */
    private static <T> T check(
            Map<String, String> state,
            String key,
            Supplier<T> parsed,
            String accepted,
            Consumer<T> validation) {
        try {
            T value = parsed.get();
            validation.accept(value);
            return value;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Saved loss-scaler state "
                            + key
                            + "='"
                            + state.get(key)
                            + "' is invalid; accepted: "
                            + accepted
                            + ".",
                    e);
        }
    }

    private static Supplier<Float> floatOf(Map<String, String> state, String key, float otherwise) {
        return () -> {
            String value = state.get(key);
            return value == null ? otherwise : Float.parseFloat(value);
        };
    }

    private static Supplier<Integer> intOf(Map<String, String> state, String key, int otherwise) {
        return () -> {
            String value = state.get(key);
            return value == null ? otherwise : Integer.parseInt(value);
        };
    }
}

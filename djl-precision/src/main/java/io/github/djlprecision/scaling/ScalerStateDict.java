package io.github.djlprecision.scaling;

import io.github.djlprecision.GradScalerConfig;
import java.util.LinkedHashMap;
import java.util.Map;

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
     * Restores a scaler from {@link #save}'s keys; keys that are absent keep the scaler's values.
     * Only the choice of kernels stays as configured.
     *
     * @param scaler the scaler
     * @param state the saved state
     * @throws IllegalArgumentException naming the key, its value and what is accepted
     */
    public static void load(DynamicLossScaler scaler, Map<String, String> state) {
        if (!state.containsKey(SCALE)) {
            return;
        }
        GradScalerConfig current = scaler.getConfig();
        GradScalerConfig saved;
        ScalerState restored;
        String key = INIT_SCALE;
        try {
            GradScalerConfig.Builder builder =
                    GradScalerConfig.builder()
                            .optInitScale(floatOf(state, INIT_SCALE, current.getInitScale()));
            key = GROWTH_FACTOR;
            builder.optGrowthFactor(floatOf(state, GROWTH_FACTOR, current.getGrowthFactor()));
            key = BACKOFF_FACTOR;
            builder.optBackoffFactor(floatOf(state, BACKOFF_FACTOR, current.getBackoffFactor()));
            key = GROWTH_INTERVAL;
            builder.optGrowthInterval(intOf(state, GROWTH_INTERVAL, current.getGrowthInterval()));
            key = MIN_SCALE;
            builder.optMinScale(floatOf(state, MIN_SCALE, current.getMinScale()));
            key = INIT_SCALE + " and " + MIN_SCALE;
            saved = builder.optFusedKernels(current.isFusedKernels()).build();
            key = SCALE + " and " + GROWTH_TRACKER;
            restored =
                    new ScalerState(
                            floatOf(state, SCALE, Float.NaN), intOf(state, GROWTH_TRACKER, 0));
            if (restored.growthTracker() >= saved.getGrowthInterval()) {
                throw new IllegalArgumentException(
                        "the growth tracker must be below the growth interval "
                                + saved.getGrowthInterval()
                                + ", got "
                                + restored.growthTracker());
            }
            scaler.restore(restored, saved);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Saved loss-scaler state " + key + " is invalid: " + e.getMessage(), e);
        }
    }

    private static float floatOf(Map<String, String> state, String key, float otherwise) {
        String value = state.get(key);
        if (value == null) {
            return otherwise;
        }
        try {
            return Float.parseFloat(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a number", e);
        }
    }

    private static int intOf(Map<String, String> state, String key, int otherwise) {
        String value = state.get(key);
        if (value == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a whole number", e);
        }
    }
}

package io.github.djlprecision.training;

import ai.djl.Model;
import io.github.djlprecision.Precision;
import io.github.djlprecision.WeightConversion;
import java.util.HashMap;
import java.util.Map;

/**
 * The trainer's part of a checkpoint, kept in the model's properties under {@code precision.}: the
 * precision trained in, the step and skipped-step counts, and the plugin's {@code stateDict()}.
 *
 * @param precision the precision the model was saved training in, or null if it holds no state
 * @param steps the steps taken, skipped ones included
 * @param skipped the steps skipped
 * @param pluginState the plugin's state, keys without the prefix
 */
record TrainerState(String precision, long steps, long skipped, Map<String, String> pluginState) {

    /** Prefix of the model properties that hold the state. */
    static final String PREFIX = "precision.";

    private static final String VALUE = "value";
    private static final String STEPS = "steps";
    private static final String SKIPPED = "skipped";
    private static final String WEIGHTS =
            WeightConversion.PROPERTY.substring(PREFIX.length());

    /**
     * Reads and validates the state a model carries; reads nothing native.
     *
     * @param model the model
     * @return the state; {@code precision} null when the model carries none
     * @throws IllegalArgumentException naming the property, its value and the accepted range
     */
    static TrainerState read(Model model) {
        Map<String, String> all = new HashMap<>();
        model.getProperties()
                .forEach(
                        (k, v) -> {
                            if (k.startsWith(PREFIX)) {
                                all.put(k.substring(PREFIX.length()), v);
                            }
                        });
        // the inference conversion's marker, not the trainer's state
        all.remove(WEIGHTS);
        String precision = all.remove(VALUE);
        if (precision == null) {
            return new TrainerState(null, 0, 0, Map.of());
        }
        try {
            // the value as written, not a legacy alias (which parse would accept with a warning)
            if (!Precision.parse(precision).value().equals(precision)) {
                throw new IllegalArgumentException(
                        "a legacy alias; accepted: " + Precision.parse(precision).value());
            }
        } catch (IllegalArgumentException e) {
            throw invalid(VALUE, precision, e.getMessage());
        }
        long steps = count(all.remove(STEPS), STEPS, Long.MAX_VALUE);
        long skipped = count(all.remove(SKIPPED), SKIPPED, steps);
        return new TrainerState(precision, steps, skipped, Map.copyOf(all));
    }

    /**
     * Writes the state into a model's properties, removing every other trainer key under {@code
     * precision.}.
     *
     * @param model the model
     */
    void write(Model model) {
        // keys of an earlier state (a loss scale saved in another precision, the breaker's) go:
        // the properties hold exactly the state the trainer accepts on resume
        model.getProperties()
                .keySet()
                .removeIf(
                        key ->
                                key.startsWith(PREFIX)
                                        && !key.equals(WeightConversion.PROPERTY)
                                        && !pluginState.containsKey(key.substring(PREFIX.length())));
        model.setProperty(PREFIX + VALUE, precision);
        model.setProperty(PREFIX + STEPS, Long.toString(steps));
        model.setProperty(PREFIX + SKIPPED, Long.toString(skipped));
        pluginState.forEach((k, v) -> model.setProperty(PREFIX + k, v));
    }

    private static long count(String value, String key, long max) {
        if (value == null) {
            return 0;
        }
        String accepted =
                "accepted: a whole number in [0, "
                        + (max == Long.MAX_VALUE ? Long.toString(max) : PREFIX + STEPS + " " + max)
                        + "]";
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw invalid(key, value, "not a whole number; " + accepted);
        }
        if (parsed < 0 || parsed > max) {
            throw invalid(key, value, accepted);
        }
        return parsed;
    }

    static IllegalArgumentException invalid(String key, String value, String why) {
        return new IllegalArgumentException(
                "The model's saved precision state is invalid: property "
                        + PREFIX
                        + key
                        + "='"
                        + value
                        + "' ("
                        + why
                        + "). Fix or remove the "
                        + PREFIX
                        + "* properties to start the precision state afresh.");
    }
}

package io.github.djlprecision.breaker;

import io.github.djlprecision.Precision;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The breaker's checkpoint state as strings: the requested precision's plugin state unprefixed,
 * each fallback's under {@code rung.<precision>.}, and each breaker's state, wait progress and
 * last healthy plugin state under {@code breaker.<precision>.}.
 */
final class BreakerStateDict {

    private static final String BREAKER = "breaker.";
    private static final String RUNG = "rung.";

    private BreakerStateDict() {}

    static Map<String, String> save(List<Rung> rungs, Rung active) {
        Map<String, String> state = new LinkedHashMap<>(rungs.get(0).plugin.stateDict());
        state.put(BREAKER + "active", active.precision().value());
        for (int i = 0; i < rungs.size(); i++) {
            Rung rung = rungs.get(i);
            if (i > 0) {
                String prefix = RUNG + rung.precision().value() + ".";
                rung.plugin.stateDict().forEach((k, v) -> state.put(prefix + k, v));
            }
            if (rung.breaker != null) {
                String prefix = BREAKER + rung.precision().value() + ".";
                state.put(prefix + "state", rung.state().name());
                state.put(prefix + "open_steps", Integer.toString(rung.openSteps));
                rung.lastGood.forEach((k, v) -> state.put(prefix + "last_good." + k, v));
            }
        }
        return state;
    }

    /**
     * Restores what {@link #save} wrote, checking every key first: the precisions named in keys,
     * each breaker's state and wait, and each rung's saved and last healthy plugin state (loaded
     * into the rung's plugin, which validates it). A rung that this machine's ladder lacks (e.g.
     * {@code bf16-mixed} on a GPU below compute capability 8.0) is skipped.
     *
     * @throws IllegalArgumentException naming the key, its value and what is accepted
     */
    static void load(List<Rung> rungs, Map<String, String> state) {
        checkKeys(state);
        for (int i = 0; i < rungs.size(); i++) {
            Rung rung = rungs.get(i);
            String prefix = BREAKER + rung.precision().value() + ".";
            Map<String, String> good = strip(state, prefix + "last_good.");
            if (rung.breaker != null && !good.isEmpty()) {
                // validated now, by the rung's own plugin, not at the transition that loads it
                within(prefix + "last_good.", () -> rung.plugin.loadStateDict(good));
            }
            if (i == 0) {
                // the guarded plugin's own keys: the breaker's and the other rungs' are not its
                Map<String, String> own = new LinkedHashMap<>(state);
                own.keySet().removeIf(k -> k.startsWith(BREAKER) || k.startsWith(RUNG));
                rung.plugin.loadStateDict(own);
            } else {
                String rungPrefix = RUNG + rung.precision().value() + ".";
                within(rungPrefix, () -> rung.plugin.loadStateDict(strip(state, rungPrefix)));
            }
            if (rung.breaker == null) {
                continue;
            }
            rung.lastGood = good.isEmpty() ? rung.plugin.stateDict() : good;
            BreakerState saved = stateOf(prefix + "state", state.get(prefix + "state"));
            int openSteps = openSteps(prefix + "open_steps", state.get(prefix + "open_steps"));
            if (saved != BreakerState.CLOSED) {
                rung.breaker.transitionToOpenState();
                rung.openSteps = openSteps;
            }
            if (saved == BreakerState.HALF_OPEN) {
                rung.breaker.transitionToHalfOpenState();
            }
        }
    }

    /**
     * Checks the breaker's own keys: {@code breaker.active} and every {@code breaker.<p>.} and
     * {@code rung.<p>.} key name a precision, and {@code breaker.<p>.} keys are one of the keys
     * {@link #save} writes.
     */
    private static void checkKeys(Map<String, String> state) {
        for (Map.Entry<String, String> entry : state.entrySet()) {
            String key = entry.getKey();
            if (key.equals(BREAKER + "active")) {
                precisionOf(key, entry.getValue());
            } else if (key.startsWith(BREAKER) || key.startsWith(RUNG)) {
                String rest =
                        key.substring(key.startsWith(BREAKER) ? BREAKER.length() : RUNG.length());
                int dot = rest.indexOf('.');
                precisionOf(key, dot < 0 ? rest : rest.substring(0, dot));
                String field = dot < 0 ? "" : rest.substring(dot + 1);
                if (key.startsWith(BREAKER)
                        && !field.equals("state")
                        && !field.equals("open_steps")
                        && !field.startsWith("last_good.")) {
                    throw new IllegalArgumentException(
                            "Saved breaker state has an unknown key "
                                    + key
                                    + "; accepted: breaker.active and, per precision p,"
                                    + " breaker.<p>.state, breaker.<p>.open_steps and"
                                    + " breaker.<p>.last_good.*.");
                }
            }
        }
    }

    private static Precision precisionOf(String key, String value) {
        try {
            Precision precision = Precision.parse(value);
            if (precision.value().equals(value)) {
                return precision;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "Saved breaker state "
                        + key
                        + " names '"
                        + value
                        + "', which is not a precision; accepted: "
                        + Arrays.stream(Precision.values())
                                .map(Precision::value)
                                .collect(Collectors.joining(", "))
                        + ".");
    }

    /** Runs a nested restore, naming the prefix of its keys in any refusal. */
    private static void within(String prefix, Runnable restore) {
        try {
            restore.run();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Saved breaker state under " + prefix + "*: " + e.getMessage(), e);
        }
    }

    private static BreakerState stateOf(String key, String value) {
        if (value == null) {
            return BreakerState.CLOSED;
        }
        try {
            return BreakerState.valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Saved breaker state "
                            + key
                            + "='"
                            + value
                            + "' is invalid; accepted: CLOSED, OPEN, HALF_OPEN.",
                    e);
        }
    }

    private static int openSteps(String key, String value) {
        if (value == null) {
            return 0;
        }
        try {
            int steps = Integer.parseInt(value);
            if (steps >= 0) {
                return steps;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "Saved breaker state "
                        + key
                        + "='"
                        + value
                        + "' is invalid; accepted: a whole number of steps in [0, "
                        + Integer.MAX_VALUE
                        + "].");
    }

    private static Map<String, String> strip(Map<String, String> state, String prefix) {
        Map<String, String> stripped = new HashMap<>();
        state.forEach(
                (k, v) -> {
                    if (k.startsWith(prefix)) {
                        stripped.put(k.substring(prefix.length()), v);
                    }
                });
        return stripped;
    }
}

package io.github.djlprecision.breaker;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
     * Restores what {@link #save} wrote.
     *
     * @throws IllegalArgumentException naming the key, its value and what is accepted
     */
    static void load(List<Rung> rungs, Map<String, String> state) {
        for (int i = 0; i < rungs.size(); i++) {
            Rung rung = rungs.get(i);
            rung.plugin.loadStateDict(
                    i == 0 ? state : strip(state, RUNG + rung.precision().value() + "."));
            if (rung.breaker == null) {
                continue;
            }
            String prefix = BREAKER + rung.precision().value() + ".";
            Map<String, String> good = strip(state, prefix + "last_good.");
            rung.lastGood = good.isEmpty() ? rung.plugin.stateDict() : good;
            BreakerState saved = stateOf(prefix + "state", state.get(prefix + "state"));
            if (saved != BreakerState.CLOSED) {
                rung.breaker.transitionToOpenState();
                rung.openSteps = openSteps(prefix + "open_steps", state.get(prefix + "open_steps"));
            }
            if (saved == BreakerState.HALF_OPEN) {
                rung.breaker.transitionToHalfOpenState();
            }
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
                        + "' is invalid; accepted: a whole number of steps of at least 0.");
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

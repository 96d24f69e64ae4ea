package io.github.djlprecision.breaker;

import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.Map;

/**
 * One precision of the breaker's ladder: its plugin, the Resilience4j breaker that guards it
 * (none on the last rung), its state after its last healthy step, and how long it has waited open.
 */
final class Rung {

    final PrecisionPlugin plugin;
    final CircuitBreaker breaker;
    Map<String, String> lastGood;
    int openSteps;

    Rung(PrecisionPlugin plugin, CircuitBreaker breaker) {
        this.plugin = plugin;
        this.breaker = breaker;
        lastGood = plugin.stateDict();
    }

    Precision precision() {
        return plugin.getPrecision();
    }

    boolean isOpen() {
        return breaker != null && breaker.getState() == CircuitBreaker.State.OPEN;
    }

    /**
     * Returns the breaker's state in this project's terms.
     *
     * @return the state; CLOSED for the last rung
     */
    BreakerState state() {
        if (breaker == null) {
            return BreakerState.CLOSED;
        }
        return toState(breaker.getState());
    }

    static BreakerState toState(CircuitBreaker.State state) {
        switch (state) {
            case OPEN:
            case FORCED_OPEN:
                return BreakerState.OPEN;
            case HALF_OPEN:
                return BreakerState.HALF_OPEN;
            default:
                return BreakerState.CLOSED;
        }
    }
}

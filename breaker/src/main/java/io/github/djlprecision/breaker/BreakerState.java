package io.github.djlprecision.breaker;

/** The state of the breaker that guards one precision of the ladder, as a circuit breaker's. */
public enum BreakerState {
    /** Healthy: training runs in this precision, and its steps are counted. */
    CLOSED,
    /** Tripped: training runs in a safer precision, and this one waits out its wait steps. */
    OPEN,
    /** Probing: training runs in this precision again for the probe steps. */
    HALF_OPEN
}

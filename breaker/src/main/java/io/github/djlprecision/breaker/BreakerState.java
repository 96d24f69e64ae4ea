package io.github.djlprecision.breaker;

/**
 * The state of the breaker that guards one precision of the ladder: Resilience4j's {@code
 * CircuitBreaker.State} in the project's own type (its disabled, forced and metrics-only states do
 * not occur; a forced open would read {@link #OPEN}).
 */
public enum BreakerState {
    /** Healthy: training runs in this precision, and its steps are counted. */
    CLOSED,
    /** Tripped: training runs in a safer precision, and this one waits out its wait steps. */
    OPEN,
    /** Probing: training runs in this precision again for the probe steps. */
    HALF_OPEN
}

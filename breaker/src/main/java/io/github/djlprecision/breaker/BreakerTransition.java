package io.github.djlprecision.breaker;

import io.github.djlprecision.Precision;

/**
 * One state change of the precision circuit breaker, as listeners and logs see it.
 *
 * @param stepIndex the index of the step after which it happened, from 0
 * @param guarded the precision whose breaker changed state
 * @param from the breaker's state before
 * @param to the breaker's state after
 * @param activeBefore the precision training ran in before
 * @param activeAfter the precision the next step runs in
 * @param reason why, in words
 */
public record BreakerTransition(
        long stepIndex,
        Precision guarded,
        BreakerState from,
        BreakerState to,
        Precision activeBefore,
        Precision activeAfter,
        String reason) {

    /**
     * Returns whether the precision training runs in changed.
     *
     * @return true when the next step runs in another precision
     */
    public boolean changesPrecision() {
        return activeBefore != activeAfter;
    }

    @Override
    public String toString() {
        return "step "
                + stepIndex
                + ": "
                + guarded
                + " breaker "
                + from
                + " -> "
                + to
                + (changesPrecision() ? ", training " + activeBefore + " -> " + activeAfter : "")
                + " ("
                + reason
                + ")";
    }
}

package io.github.djlprecision.breaker;

/**
 * Receives the precision circuit breaker's state changes. A DJL {@code TrainingListener} in the
 * user's training config that also implements this interface gets them, so one listener object
 * serves both.
 */
public interface BreakerListener {

    /**
     * Called when a breaker changes state: it tripped and training moved to a safer precision, it
     * probes the faster precision again, or the probe ended.
     *
     * @param transition what changed, and why
     */
    void onBreakerTransition(BreakerTransition transition);
}

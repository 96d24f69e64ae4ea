package io.github.djlprecision.spi;

import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDManager;
import java.util.function.Consumer;

/**
 * What a plugin may use of the trainer that runs it: its metrics, its step count and its
 * listeners. Plugins get this narrow view, never the trainer itself.
 */
public interface PluginContext {

    /**
     * Returns a manager on the first training device that lives as long as the trainer, for the
     * plugin's own device state (e.g. the loss scale).
     *
     * @return the manager
     */
    NDManager getManager();

    /**
     * Returns the trainer's metrics.
     *
     * @return the metrics, or null when the user set none and the trainer keeps none
     */
    Metrics getMetrics();

    /**
     * Returns how many steps the trainer has taken, skipped ones included.
     *
     * @return the number of steps
     */
    long getStepCount();

    /**
     * Calls an action on every listener of the user's training config that is of a type, e.g. a
     * plugin's own listener interface.
     *
     * @param type the listener type
     * @param action what to call on each
     * @param <T> the listener type
     */
    <T> void notifyListeners(Class<T> type, Consumer<? super T> action);
}

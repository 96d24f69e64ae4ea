package io.github.djlprecision.training;

import ai.djl.training.listener.DivergenceCheckTrainingListener;
import ai.djl.training.listener.TrainingListener;

/**
 * DJL's {@code TrainingListener.Defaults}, with DJL's divergence check replaced by {@link
 * SkipAwareDivergenceCheckTrainingListener}: the same listeners in the same order (epochs,
 * evaluators, logging, memory and time where DJL's set has them), for a trainer whose skipped
 * steps must not end training.
 *
 * <pre>{@code
 * new DefaultTrainingConfig(loss).addTrainingListeners(PrecisionListeners.logging());
 * }</pre>
 */
public final class PrecisionListeners {

    private PrecisionListeners() {}

    /**
     * Returns DJL's {@code Defaults.basic()} with the skip-aware divergence check.
     *
     * @return the listeners
     */
    public static TrainingListener[] basic() {
        return skipAware(TrainingListener.Defaults.basic());
    }

    /**
     * Returns DJL's {@code Defaults.logging()} with the skip-aware divergence check.
     *
     * @return the listeners
     */
    public static TrainingListener[] logging() {
        return skipAware(TrainingListener.Defaults.logging());
    }

    /**
     * Returns DJL's {@code Defaults.logging(frequency)} with the skip-aware divergence check.
     *
     * @param frequency how often DJL's logging listener logs, in batches
     * @return the listeners
     */
    public static TrainingListener[] logging(int frequency) {
        return skipAware(TrainingListener.Defaults.logging(frequency));
    }

    /**
     * Returns DJL's {@code Defaults.logging(outputDir)} (with memory and time measures) with the
     * skip-aware divergence check.
     *
     * @param outputDir where DJL's memory and time listeners write
     * @return the listeners
     * @throws IllegalArgumentException as DJL's for a null directory
     */
    public static TrainingListener[] logging(String outputDir) {
        return skipAware(TrainingListener.Defaults.logging(outputDir));
    }

    private static TrainingListener[] skipAware(TrainingListener[] listeners) {
        for (int i = 0; i < listeners.length; i++) {
            if (listeners[i].getClass() == DivergenceCheckTrainingListener.class) {
                listeners[i] = new SkipAwareDivergenceCheckTrainingListener();
            }
        }
        return listeners;
    }
}

package io.github.djlprecision;

import io.github.djlprecision.spi.StepOutcome;

/**
 * Precision events. A {@link ai.djl.training.listener.TrainingListener} added to the user's
 * {@link ai.djl.training.TrainingConfig} that also implements this interface receives them, so
 * one listener object serves both.
 */
public interface PrecisionListener {

    /**
     * Called after a step whose update was skipped, e.g. for inf or NaN gradients.
     *
     * @param trainer the trainer
     * @param stepIndex the index of the skipped step, from 0
     * @param outcome the reason and the loss scale the next step uses
     */
    default void onStepSkipped(PrecisionTrainer trainer, long stepIndex, StepOutcome outcome) {}
}

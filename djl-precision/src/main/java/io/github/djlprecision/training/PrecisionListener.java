package io.github.djlprecision.training;

import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.StepOutcome;

/**
 * Precision events. A {@link ai.djl.training.listener.TrainingListener} added to the user's
 * {@link ai.djl.training.TrainingConfig} that also implements this interface receives them, so
 * one listener object serves both. Every method defaults to doing nothing.
 */
public interface PrecisionListener {

    /**
     * Called after a step whose update was skipped, e.g. for inf or NaN gradients. The weights,
     * the optimizer's state and its update count (which drives DJL's learning-rate trackers) are
     * as they were before the step.
     *
     * <p>With a fused optimizer the trainer learns of skipped steps in batches, so this may come
     * a few steps late; the outcome names the step it is about.
     *
     * @param trainer the trainer
     * @param outcome the step's index, the reason and the loss scale the next step uses
     */
    default void onStepSkipped(PrecisionTrainer trainer, StepOutcome outcome) {}

    /**
     * Called once per stretch in which the fp16 loss scale stays below 1 for the configured number
     * of steps ({@link PrecisionConfig#getLowScaleDiagnosisSteps()}).
     *
     * @param trainer the trainer
     * @param diagnosis the scale, how long it stayed low, and the precision to use instead
     */
    default void onLowLossScale(PrecisionTrainer trainer, LossScaleDiagnosis diagnosis) {}
}

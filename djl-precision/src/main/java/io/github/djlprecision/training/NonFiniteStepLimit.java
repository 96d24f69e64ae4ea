package io.github.djlprecision.training;

import ai.djl.TrainingDivergedException;
import io.github.djlprecision.spi.StepOutcome;

/**
 * Stops training that cannot recover by itself: in a precision without loss scaling (16-true, Apex
 * O3, bf16-mixed, the fp32 and fp64 modes) a step with inf or NaN gradients is skipped, and there
 * is no loss scale to lower, so the same overflow usually comes back on every later step. After a
 * configured number of such steps in a row this throws DJL's {@code TrainingDivergedException}
 * naming the step and what to do. Loss-scaled steps are left to {@link LossScaleMonitor}, which
 * stops at the scale's floor.
 */
final class NonFiniteStepLimit {

    private final int limit;
    private final String precision;
    private int streak;

    /**
     * @param limit skipped steps in a row before the error; 0 switches it off
     * @param precision the precision's value, for the message
     */
    NonFiniteStepLimit(int limit, String precision) {
        this.limit = limit;
        this.precision = precision;
    }

    /**
     * Records one step.
     *
     * @param outcome what the step did
     * @throws TrainingDivergedException on the step that makes the limit's number of skipped steps
     *     in a row without loss scaling
     */
    void observe(StepOutcome outcome) {
        if (limit == 0 || outcome.applied() || !Float.isNaN(outcome.lossScale())) {
            streak = 0;
            return;
        }
        streak++;
        if (streak == limit) {
            throw new TrainingDivergedException(
                    "Steps "
                            + (outcome.stepIndex() - streak + 1)
                            + " to "
                            + outcome.stepIndex()
                            + " ("
                            + streak
                            + " in a row) all had inf or NaN gradients in "
                            + precision
                            + " and were skipped: without loss scaling nothing changes between"
                            + " them, so no later step is likely to apply either. Lower the"
                            + " learning rate or check the inputs and the loss for inf and NaN; in"
                            + " 16-true or Apex O3 the activations may exceed float16's range"
                            + " (65504): train in '16-mixed', 'bf16-mixed' or '32-true'. The"
                            + " limit is PrecisionConfig.Builder.optNonFiniteStepLimit (0: off).");
        }
    }
}

package io.github.djlprecision.training;

import ai.djl.TrainingDivergedException;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.StepOutcome;
import java.util.Optional;

/**
 * Watches the loss scale for the two signs of a model fp16 cannot hold. A scale below 1 (only
 * possible with a floor below 1) means gradients overflow fp16 even shrunk: worth a diagnosis. A
 * scale stuck at its floor while steps keep overflowing means training cannot go on: an error.
 * Both mostly happen to models pre-trained in bf16, whose activations exceed fp16's range of
 * 65504.
 */
final class LossScaleMonitor {

    private static final String ADVICE =
            " The usual cause is a model pre-trained in bf16, whose activations exceed fp16's range."
                    + " Train in 'bf16-mixed' (needs CUDA compute capability 8.0+ or a CPU) or"
                    + " '32-true', or let the precision circuit breaker (djl-precision-breaker)"
                    + " fall back for you.";

    private final int steps;
    private final float minScale;
    private int below;
    private int stuck;

    /**
     * @param steps consecutive steps before the diagnosis or the error; 0 switches both off
     * @param minScale the scaler's floor
     */
    LossScaleMonitor(int steps, float minScale) {
        this.steps = steps;
        this.minScale = minScale;
    }

    /**
     * Records one step.
     *
     * @param outcome what the step did
     * @return the diagnosis, once per stretch below 1, on the step that completes it
     * @throws TrainingDivergedException when the configured number of steps in a row overflowed at
     *     the floor
     */
    Optional<LossScaleDiagnosis> observe(StepOutcome outcome) {
        float scale = outcome.lossScale();
        if (steps == 0 || Float.isNaN(scale)) {
            below = 0;
            stuck = 0;
            return Optional.empty();
        }
        stuck = !outcome.applied() && scale <= minScale ? stuck + 1 : 0;
        if (stuck == steps) {
            throw new TrainingDivergedException(
                    "The fp16 loss scale has been at its floor "
                            + minScale
                            + " for "
                            + stuck
                            + " steps in a row and every one of them overflowed, up to step "
                            + outcome.stepIndex()
                            + ": gradients overflow fp16 even unscaled, so no step can apply."
                            + ADVICE);
        }
        below = scale < 1f ? below + 1 : 0;
        if (below != steps) {
            return Optional.empty();
        }
        String message =
                "The fp16 loss scale has stayed below 1 for "
                        + below
                        + " steps (now "
                        + scale
                        + "): gradients overflow fp16 even unscaled."
                        + ADVICE;
        return Optional.of(
                new LossScaleDiagnosis(
                        outcome.stepIndex(), scale, below, Precision.BF16_MIXED, message));
    }
}

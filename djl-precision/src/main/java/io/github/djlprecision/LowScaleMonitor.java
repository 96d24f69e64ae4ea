package io.github.djlprecision;

import java.util.Optional;

/**
 * Watches the loss scale for the usual sign of a model fp16 cannot hold: a scale below 1, i.e.
 * the scaler shrinking gradients that overflow fp16 on their own. That mostly happens to models
 * pre-trained in bf16, whose activations exceed fp16's range of 65504.
 */
final class LowScaleMonitor {

    private final int steps;
    private int below;

    /** @param steps consecutive steps below 1 before the diagnosis; 0 switches it off */
    LowScaleMonitor(int steps) {
        this.steps = steps;
    }

    /**
     * Records the scale after one step.
     *
     * @param stepIndex the step's index
     * @param lossScale the scale, or NaN for a step without loss scaling
     * @return the diagnosis, once per stretch below 1, on the step that completes it
     */
    Optional<LossScaleDiagnosis> observe(long stepIndex, float lossScale) {
        if (steps == 0 || !(lossScale < 1f)) {
            below = 0;
            return Optional.empty();
        }
        below++;
        if (below != steps) {
            return Optional.empty();
        }
        String message =
                "The fp16 loss scale has stayed below 1 for "
                        + below
                        + " steps (now "
                        + lossScale
                        + "): gradients overflow fp16 even unscaled. The usual cause is a model"
                        + " pre-trained in bf16, whose activations exceed fp16's range. Train in"
                        + " 'bf16-mixed' (needs CUDA compute capability 8.0+ or a CPU), or"
                        + " '32-true'.";
        return Optional.of(
                new LossScaleDiagnosis(stepIndex, lossScale, below, Precision.BF16_MIXED, message));
    }
}

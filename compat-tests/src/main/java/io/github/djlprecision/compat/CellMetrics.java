package io.github.djlprecision.compat;

import java.util.List;

/**
 * What a cell that ran measured. Loss values are means over the data set, evaluated in the cell's
 * precision; per-step arrays have one entry per training step (empty for inference).
 *
 * @param initialLoss the loss before training
 * @param finalLoss the loss after training
 * @param referenceLoss the {@code 32-true} run's final loss on the same engine and device, or NaN
 * @param accuracy the value of the evaluator named {@code Accuracy} after training, or NaN
 * @param skippedSteps how many optimizer steps were skipped
 * @param finalLossScale the loss scale after the last step, or NaN without loss scaling
 * @param stepTimeMillis the median wall time of one step (one forward for inference); information
 *     only, never asserted
 * @param parameterBytes the bytes of the model's parameters, from their data types
 * @param activationBytes the bytes of every layer's output in one forward pass
 * @param losses the training loss of each step
 * @param lossScales the loss scale after each step (NaN without loss scaling)
 * @param skipped whether each step was skipped
 * @param layers each layer's output in the probe forward pass
 */
public record CellMetrics(
        double initialLoss,
        double finalLoss,
        double referenceLoss,
        double accuracy,
        long skippedSteps,
        double finalLossScale,
        double stepTimeMillis,
        long parameterBytes,
        long activationBytes,
        float[] losses,
        float[] lossScales,
        boolean[] skipped,
        List<LayerOutput> layers) {}

package io.github.djlprecision.compat;

import java.util.List;

/**
 * What a cell that ran measured. Loss values are means over the data set, evaluated in the cell's
 * precision; per-step arrays have one entry per training step (empty for inference).
 *
 * @param initialLoss the loss over the training set before training; for a short run (see {@link
 *     CompatMatrix.Builder#optShortRun}) the mean step loss of the first epoch
 * @param finalLoss the loss over the training set after training; for a short run the mean step
 *     loss of the last epoch
 * @param referenceLoss the {@code 32-true} run's final loss on the same engine and device, or NaN
 * @param accuracy the value of the evaluator named {@code Accuracy} over the training set after
 *     training, or NaN
 * @param testAccuracy the same evaluator over the workload's test set after training, or NaN when
 *     the workload has none
 * @param referenceTestAccuracy the {@code 32-true} run's test accuracy, or NaN
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
        double testAccuracy,
        double referenceTestAccuracy,
        long skippedSteps,
        double finalLossScale,
        double stepTimeMillis,
        long parameterBytes,
        long activationBytes,
        float[] losses,
        float[] lossScales,
        boolean[] skipped,
        List<LayerOutput> layers) {

    /**
     * Returns a copy that knows the {@code 32-true} run's values.
     *
     * @param referenceLoss the reference's final loss
     * @param referenceTestAccuracy the reference's test accuracy, or NaN
     * @return the copy
     */
    public CellMetrics withReference(double referenceLoss, double referenceTestAccuracy) {
        return new CellMetrics(
                initialLoss,
                finalLoss,
                referenceLoss,
                accuracy,
                testAccuracy,
                referenceTestAccuracy,
                skippedSteps,
                finalLossScale,
                stepTimeMillis,
                parameterBytes,
                activationBytes,
                losses,
                lossScales,
                skipped,
                layers);
    }
}

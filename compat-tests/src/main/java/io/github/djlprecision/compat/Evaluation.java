package io.github.djlprecision.compat;

import ai.djl.ndarray.NDList;
import ai.djl.training.dataset.Batch;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.loss.Loss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The loss and accuracy of a model over a data set, forward only, in the cell's precision.
 *
 * @param loss the mean loss per sample
 * @param accuracy the value of the evaluator named {@code Accuracy}, or NaN without one
 * @param batches how many batches the data set gave
 * @param medianMillis the median wall time of one batch's forward and loss
 */
record Evaluation(double loss, double accuracy, int batches, double medianMillis) {

    private static final String ACCURACY = "Accuracy";
    private static final String ACCUMULATOR = "compat-matrix";

    /**
     * Evaluates a model.
     *
     * @param batches the data, each batch closed here
     * @param forward the model's forward pass, inputs to predictions
     * @param loss the loss
     * @param evaluators the training configuration's evaluators; the one named "Accuracy" counts
     * @return the loss, accuracy and timing
     */
    static Evaluation of(
            Iterable<Batch> batches,
            UnaryOperator<NDList> forward,
            Loss loss,
            List<Evaluator> evaluators) {
        Evaluator accuracy =
                evaluators.stream()
                        .filter(e -> ACCURACY.equals(e.getName()))
                        .findFirst()
                        .orElse(null);
        if (accuracy != null) {
            accuracy.addAccumulator(ACCUMULATOR);
        }
        double sum = 0;
        long samples = 0;
        List<Long> nanos = new ArrayList<>();
        for (Batch batch : batches) {
            try (batch) {
                long start = System.nanoTime();
                NDList predictions = forward.apply(batch.getData());
                float value = TrainingStep.scalar(loss.evaluate(batch.getLabels(), predictions));
                nanos.add(System.nanoTime() - start);
                sum += (double) value * batch.getSize();
                samples += batch.getSize();
                if (accuracy != null) {
                    accuracy.updateAccumulator(ACCUMULATOR, batch.getLabels(), predictions);
                }
            }
        }
        double acc = accuracy == null ? Double.NaN : accuracy.getAccumulator(ACCUMULATOR);
        return new Evaluation(
                sum / samples,
                acc,
                nanos.size(),
                median(nanos.stream().mapToLong(Long::longValue).toArray()) / 1e6);
    }

    static double median(long[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }
}

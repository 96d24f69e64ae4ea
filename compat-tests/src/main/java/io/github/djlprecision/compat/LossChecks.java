package io.github.djlprecision.compat;

import java.util.List;

/** What a cell's training did to its loss, measured over the training set before and after. */
final class LossChecks {

    /**
     * How much a short run's loss may grow before it counts as diverging: a few steps of SGD from
     * random weights may not yet lower the loss, but a broken cast or scale sends it to NaN or far
     * up.
     */
    static final double SHORT_RUN_GROWTH = 1.5;

    private LossChecks() {}

    /** A full run must lower the loss. */
    static void decreases(Evaluation before, Evaluation after, List<Check> checks) {
        checks.add(
                new Check(
                        "loss decreases",
                        Double.isFinite(after.loss()) && after.loss() < before.loss(),
                        String.format(
                                "%.4f before training, %.4f after", before.loss(), after.loss())));
    }

    /**
     * A short run (a few steps) must keep every step's loss finite, and its last epoch's mean loss
     * within {@value #SHORT_RUN_GROWTH} times its first epoch's, over the same batches.
     */
    static void staysFinite(StepLog steps, int epochs, List<Check> checks) {
        boolean finite = true;
        for (float loss : steps.losses()) {
            finite &= Float.isFinite(loss);
        }
        double first = steps.epochMean(0, epochs);
        double last = steps.epochMean(epochs - 1, epochs);
        checks.add(
                new Check(
                        "loss finite, not diverging",
                        finite && last <= first * SHORT_RUN_GROWTH,
                        String.format(
                                "%s; mean step loss %.4f in the first epoch, %.4f in the last"
                                        + " (at most %.1f x allowed)",
                                finite ? "every step finite" : "a step's loss is not finite",
                                first,
                                last,
                                SHORT_RUN_GROWTH)));
    }
}

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

    /** A short run (a few steps) must keep the loss finite and not let it grow much. */
    static void staysFinite(Evaluation before, Evaluation after, List<Check> checks) {
        checks.add(
                new Check(
                        "loss finite, not diverging",
                        Double.isFinite(after.loss())
                                && after.loss() <= before.loss() * SHORT_RUN_GROWTH,
                        String.format(
                                "%.4f before training, %.4f after (at most %.1f x allowed)",
                                before.loss(), after.loss(), SHORT_RUN_GROWTH)));
    }
}

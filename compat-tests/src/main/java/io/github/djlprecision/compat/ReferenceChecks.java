package io.github.djlprecision.compat;

import java.util.ArrayList;
import java.util.List;

/**
 * Compares a cell with the {@code 32-true} run on the same engine and device: test accuracy (for
 * workloads with a test set) or else final training loss within tolerance, activation and parameter
 * memory in the ratio the data types imply. Runs in the matrix's own JVM, also for cells that ran
 * in a child JVM.
 */
final class ReferenceChecks {

    /**
     * The allowed differences to {@code 32-true}.
     *
     * @param loss the allowed absolute difference of the final training loss, or NaN for none
     * @param accuracy the allowed absolute difference of the test accuracy, or NaN for none
     */
    record Tolerances(double loss, double accuracy) {}

    private ReferenceChecks() {}

    /**
     * Adds the comparisons to a run that measured something.
     *
     * @param run the cell's run, with metrics
     * @param variant the cell's variant
     * @param reference the {@code 32-true} run
     * @param tolerances what may differ, and by how much
     * @return the run with the comparisons added and the reference's values in its metrics
     */
    static CellRun compare(
            CellRun run, PrecisionVariant variant, CellRun reference, Tolerances tolerances) {
        CellMetrics metrics = run.metrics();
        CellMetrics ref = reference.metrics();
        List<Check> checks = new ArrayList<>();
        if (ref == null) {
            checks.add(
                    new Check(
                            "compared to 32-true",
                            false,
                            "the 32-true reference did not run: "
                                    + (reference.refusal() != null
                                            ? reference.refusal()
                                            : reference.error() != null
                                                    ? reference.error()
                                                    : "a check stopped it")));
            return run.with(checks, metrics);
        }
        boolean tested = !Double.isNaN(tolerances.accuracy()) && !Double.isNaN(ref.testAccuracy());
        // with a test set, held-out accuracy judges the run; the training loss is only reported
        if (!Double.isNaN(tolerances.loss()) && !tested) {
            double delta = Math.abs(metrics.finalLoss() - ref.finalLoss());
            checks.add(
                    new Check(
                            "final loss within " + tolerances.loss() + " of 32-true",
                            delta <= tolerances.loss(),
                            String.format(
                                    "%.5f vs %.5f, |diff| %.5f",
                                    metrics.finalLoss(), ref.finalLoss(), delta)));
        }
        if (tested) {
            double delta = Math.abs(metrics.testAccuracy() - ref.testAccuracy());
            checks.add(
                    new Check(
                            "test accuracy within " + tolerances.accuracy() + " of 32-true",
                            delta <= tolerances.accuracy(),
                            String.format(
                                    "%.4f vs %.4f, |diff| %.4f",
                                    metrics.testAccuracy(), ref.testAccuracy(), delta)));
        }
        checks.add(activationMemory(variant, metrics, ref));
        checks.add(parameterMemory(metrics, ref, run.expectedParameterBytes()));
        return run.with(checks, metrics.withReference(ref.finalLoss(), ref.testAccuracy()));
    }

    private static Check activationMemory(
            PrecisionVariant variant, CellMetrics metrics, CellMetrics ref) {
        double ratio = (double) metrics.activationBytes() / ref.activationBytes();
        double full = variant.computeType().getNumOfBytes() / 4.0;
        boolean exact = variant.computesEverythingInComputeType() || full == 1.0;
        boolean ok = exact ? ratio == full : ratio >= full && ratio < 1.0;
        return new Check(
                "activation memory vs 32-true",
                ok,
                String.format(
                        "%.3f x (%d vs %d bytes; expected %s)",
                        ratio,
                        metrics.activationBytes(),
                        ref.activationBytes(),
                        exact ? "exactly " + full : "in [" + full + ", 1)"));
    }

    private static Check parameterMemory(
            CellMetrics metrics, CellMetrics ref, long expectedParameterBytes) {
        double ratio = (double) metrics.parameterBytes() / ref.parameterBytes();
        double expectedRatio = (double) expectedParameterBytes / ref.parameterBytes();
        return new Check(
                "parameter memory vs 32-true",
                ratio == expectedRatio,
                String.format(
                        "%.3f x (%d vs %d bytes; the expected types give %.3f x)",
                        ratio, metrics.parameterBytes(), ref.parameterBytes(), expectedRatio));
    }
}

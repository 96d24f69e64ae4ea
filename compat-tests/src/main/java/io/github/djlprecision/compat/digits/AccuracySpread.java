package io.github.djlprecision.compat.digits;

import io.github.djlprecision.compat.CellMetrics;
import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.CompatMatrix;
import io.github.djlprecision.compat.MatrixCell;
import io.github.djlprecision.compat.Selection;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Measures how much the digits models' test accuracy moves from run to run in {@code 32-true}
 * (starting weights from seeds 1..N), next to the {@code 16-mixed} and {@code bf16-mixed} runs from
 * the same weights. The main job's accuracy tolerance comes from this spread ({@link
 * DigitsClassifiers#ACCURACY_TOLERANCE}). Run: {@code java ... AccuracySpread [seeds]}.
 */
public final class AccuracySpread {

    private static final List<String> VARIANTS = List.of("32-true", "16-mixed", "bf16-mixed");

    private AccuracySpread() {}

    /**
     * Prints one line per model and seed, then the spread.
     *
     * @param args the number of seeds (default 20)
     */
    public static void main(String[] args) {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        measure("digits-cnn", DigitsClassifiers::cnn, seeds);
        measure("digits-mlp", DigitsClassifiers::mlp, seeds);
    }

    private static void measure(String name, IntFunction<DigitsWorkload> model, int seeds) {
        List<Double> reference = new ArrayList<>();
        double largestGap = 0;
        for (int seed = 1; seed <= seeds; seed++) {
            CompatMatrix matrix =
                    CompatMatrix.builder(model.apply(seed))
                            .optSelection(
                                    Selection.parse("PyTorch", String.join(",", VARIANTS), "cpu"))
                            .build();
            StringBuilder line = new StringBuilder(name + " seed " + seed);
            double fp32 = Double.NaN;
            for (MatrixCell cell : matrix.cells()) {
                CellResult result = matrix.run(cell);
                CellMetrics metrics = result.metrics();
                double accuracy = metrics == null ? Double.NaN : metrics.testAccuracy();
                if (cell.variant().isReference()) {
                    fp32 = accuracy;
                    reference.add(accuracy);
                } else {
                    largestGap = Math.max(largestGap, Math.abs(accuracy - fp32));
                }
                line.append(
                        String.format(
                                Locale.ROOT,
                                "  %s %.4f (%s)",
                                cell.variant(),
                                accuracy,
                                result.verdict()));
            }
            System.out.println(line);
        }
        double mean =
                reference.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double variance =
                reference.stream().mapToDouble(a -> (a - mean) * (a - mean)).sum()
                        / (reference.size() - 1);
        double sd = Math.sqrt(variance);
        System.out.printf(
                Locale.ROOT,
                "%s 32-true test accuracy over %d seeds: mean %.4f, sd %.4f, min %.4f, max %.4f; 3"
                        + " x sqrt(2) x sd = %.4f; largest same-seed gap of 16-mixed/bf16-mixed to"
                        + " 32-true %.4f%n",
                name,
                reference.size(),
                mean,
                sd,
                reference.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
                reference.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
                3 * Math.sqrt(2) * sd,
                largestGap);
    }
}

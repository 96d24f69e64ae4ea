package io.github.djlprecision.compat;

import ai.djl.training.util.ProgressBar;

import io.github.djlprecision.GradScalerConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

/**
 * The report command: trains the default workload in every selected cell, prints the per-precision
 * table and writes the report. Exit status 0 when no cell FAILs, 1 when one does, 2 for bad
 * arguments. Run it through Maven: {@code mvn -B -q -pl compat-tests -am -Pcompat-report
 * -DskipTests verify}, optionally with {@code -Dcompat.precisions=32-true,16-mixed}, {@code
 * -Dcompat.engines=...}, {@code -Dcompat.devices=cpu}.
 *
 * <p>Arguments: {@code --out=DIR} (default {@code target/compat-report}), {@code --engines=},
 * {@code --precisions=}, {@code --devices=} (comma-separated, or {@code all}), {@code
 * --expectations=FILE} (a table replacing the bundled one; empty for the bundled one).
 */
public final class CompatReportMain {

    private CompatReportMain() {}

    /**
     * Runs the report and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /**
     * Runs the report.
     *
     * @param args the arguments
     * @param out where the table and summary go
     * @return the exit status: 0 all cells PASS or UNSUPPORTED as expected, 1 a cell FAILed, 2 bad
     *     arguments
     */
    public static int run(String[] args, PrintStream out) {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                out.println("Unexpected argument '" + arg + "': use --name=value.");
                return 2;
            }
            options.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        CompatMatrix matrix;
        Path directory = Paths.get(options.getOrDefault("out", "target/compat-report"));
        try {
            Selection selection =
                    Selection.parse(
                            options.get("engines"),
                            options.get("precisions"),
                            options.get("devices"));
            // a larger run than the test suite's, for smoother curves; still a minute or two on CPU
            CompatMatrix.Builder builder =
                    CompatMatrix.builder(new MlpWorkload(1024, 32, 8, 64))
                            .optSelection(selection)
                            // a short growth interval shows the scaler at work within a short run
                            .optGradScaler(GradScalerConfig.builder().optGrowthInterval(25).build())
                            .optProgress(new ProgressBar());
            if (!options.getOrDefault("expectations", "").isBlank()) {
                builder.optExpectations(Expectations.load(Paths.get(options.get("expectations"))));
            }
            matrix = builder.build();
        } catch (IllegalArgumentException | IOException e) {
            out.println("Bad arguments: " + e.getMessage());
            return 2;
        }
        if (matrix.cells().isEmpty()) {
            out.println("The selection matches no cell on this machine.");
            return 2;
        }
        MatrixResult result = matrix.runAll();
        out.println();
        out.println(CompatReport.trainingTable(result));
        for (CellResult cell : result.results()) {
            out.printf(
                    "%-12s %s%n",
                    cell.verdict(),
                    cell.cell().id()
                            + (cell.verdict() == Verdict.PASS ? "" : ": " + cell.reason()));
        }
        try {
            Path html = CompatReport.write(result, directory);
            out.println();
            out.println("Report: " + directory.resolve(CompatReport.MARKDOWN).toAbsolutePath());
            out.println("        " + html.toAbsolutePath());
        } catch (IOException e) {
            out.println("Could not write the report: " + e);
            return 1;
        }
        out.printf(
                "%d PASS, %d UNSUPPORTED, %d FAIL%n",
                result.count(Verdict.PASS),
                result.count(Verdict.UNSUPPORTED),
                result.count(Verdict.FAIL));
        return result.hasFailures() ? 1 : 0;
    }
}

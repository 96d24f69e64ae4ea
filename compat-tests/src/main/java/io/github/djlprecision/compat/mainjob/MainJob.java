package io.github.djlprecision.compat.mainjob;

import ai.djl.engine.Engine;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.CompatMatrix;
import io.github.djlprecision.compat.CompatWorkload;
import io.github.djlprecision.compat.Expectations;
import io.github.djlprecision.compat.MatrixCell;
import io.github.djlprecision.compat.MatrixResult;
import io.github.djlprecision.compat.PrecisionVariant;
import io.github.djlprecision.compat.Selection;
import io.github.djlprecision.compat.Verdict;
import io.github.djlprecision.compat.architectures.Architecture;
import io.github.djlprecision.compat.architectures.ArchitectureMatrix;
import io.github.djlprecision.compat.digits.Digits;
import io.github.djlprecision.compat.digits.DigitsClassifierWorkload;
import io.github.djlprecision.compat.digits.DigitsClassifiers;
import io.github.djlprecision.compat.digits.DigitsWorkload;
import io.github.djlprecision.compat.report.CompatReport;
import io.github.djlprecision.compat.report.ReportContents;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * The main job: trains a small CNN and an MLP on the bundled UCI digits in every precision and Apex
 * level, runs TensorFlow's inference cells and the architecture axis, prints a short summary and
 * writes the report ({@code report.md}, {@code index.html}, plots). Exit status 0 when no cell
 * fails other than the tables' known failures, 1 when one does, 2 for bad arguments. Run it with
 * {@code ./main-job} in the project root, or through Maven ({@code -Pcompat-report}).
 */
@Command(
        name = "main-job",
        mixinStandardHelpOptions = true,
        description =
                "Trains a CNN and an MLP on the UCI digits in every precision and Apex level, runs"
                        + " the architecture axis and writes the compatibility report.")
public final class MainJob implements Callable<Integer> {

    /** The seed of the digits models' starting weights. */
    static final int SEED = DigitsClassifierWorkload.SEED;

    private final PrintStream out;
    private final ConsoleProgress progress;

    @Option(
            names = "--out",
            defaultValue = "target/compat-report",
            description = "folder of the report (default: ${DEFAULT-VALUE})")
    private Path directory;

    @Option(
            names = "--engines",
            defaultValue = "all",
            description = "engines, comma-separated, or all")
    private String engines;

    @Option(
            names = "--precisions",
            defaultValue = "all",
            description = "precision labels, e.g. 32-true,16-mixed/O2, or all")
    private String precisions;

    @Option(names = "--devices", defaultValue = "all", description = "cpu, gpu, or all")
    private String devices;

    @Option(
            names = "--architectures",
            defaultValue = "all",
            description = "architecture ids, comma-separated, all, or none")
    private String architectures;

    @Option(
            names = "--expectations",
            defaultValue = "",
            description = "a table replacing the bundled expectations of the digits cells")
    private String expectations;

    private MainJob(PrintStream out, ConsoleProgress progress) {
        this.out = out;
        this.progress = progress;
    }

    /**
     * Runs the main job and exits with its status.
     *
     * @param args the arguments, see {@code --help}
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, ConsoleProgress.forConsole(System.out)));
    }

    /**
     * Runs the main job without a progress line.
     *
     * @param args the arguments, see {@code --help}
     * @param out where the summary goes
     * @return the exit status: 0 every cell as expected, 1 an unexpected FAIL, 2 bad arguments
     */
    public static int run(String[] args, PrintStream out) {
        return run(args, out, ConsoleProgress.silent(out));
    }

    private static int run(String[] args, PrintStream out, ConsoleProgress progress) {
        PrintWriter writer = new PrintWriter(out, true, StandardCharsets.UTF_8);
        return new CommandLine(new MainJob(out, progress))
                .setOut(writer)
                .setErr(writer)
                .execute(args);
    }

    @Override
    public Integer call() throws IOException {
        Selection selection;
        Expectations table;
        List<Architecture> axis;
        try {
            selection = Selection.parse(engines, precisions, devices);
            table =
                    expectations.isBlank()
                            ? Expectations.bundled()
                            : Expectations.load(Paths.get(expectations));
            axis = architectures(architectures);
        } catch (IllegalArgumentException | IOException e) {
            out.println("Bad arguments: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        out.println(
                "djl-precision main job: a CNN and an MLP on the UCI digits ("
                        + Digits.SAMPLES
                        + " real 8x8 images, CC BY 4.0), every precision and Apex level, then"
                        + " the architecture axis");
        List<MatrixResult> workloads = new ArrayList<>();
        Selection training = trainingSelection(selection);
        if (training != null) {
            for (CompatWorkload workload :
                    List.of(
                            new DigitsClassifierWorkload("digits-cnn"),
                            new DigitsClassifierWorkload("digits-mlp"))) {
                workloads.add(section(workload.name(), digits(workload, training, table)));
            }
        }
        MatrixResult tensorFlow = tensorFlow(selection, table);
        if (tensorFlow != null) {
            workloads.add(tensorFlow);
        }
        List<MatrixResult> architectureResults = architectureAxis(axis, selection);
        List<MatrixResult> all = new ArrayList<>(workloads);
        all.addAll(architectureResults);
        if (all.stream().allMatch(r -> r.results().isEmpty())) {
            out.println("The selection matches no cell on this machine.");
            return CommandLine.ExitCode.USAGE;
        }
        out.println();
        List<MatrixResult> tested = workloads.stream().filter(w -> !w.results().isEmpty()).toList();
        if (!tested.isEmpty() && training != null) {
            out.printf(
                    Locale.ROOT,
                    "Test accuracy on the held-out digits; every precision must lie within %.3f of"
                            + " 32-true:%n",
                    DigitsClassifiers.ACCURACY_TOLERANCE);
            out.print(CompatReport.accuracyTable(tested));
        }
        if (!architectureResults.isEmpty()) {
            ConsoleSummary.architectureGrid(architectureResults, out);
            out.println();
        }
        ConsoleSummary.unexpectedFailures(all, out);
        Path html =
                CompatReport.write(
                        new ReportContents(
                                "Compatibility report: 16-bit training on the UCI digits",
                                notes(),
                                workloads.stream().filter(w -> !w.results().isEmpty()).toList(),
                                architectureResults),
                        directory);
        out.println("Report: " + directory.resolve(CompatReport.MARKDOWN).toAbsolutePath());
        out.println("        " + html.toAbsolutePath());
        long known = all.stream().mapToLong(MatrixResult::knownFailures).sum();
        out.println(
                summary(all)
                        + (known > 0
                                ? " (" + known + " known failures, listed in architectures.tsv)"
                                : ""));
        return all.stream().anyMatch(MatrixResult::hasFailures) ? 1 : 0;
    }

    private CompatMatrix digits(CompatWorkload workload, Selection selection, Expectations table) {
        CompatMatrix.Builder builder =
                CompatMatrix.builder(workload)
                        // each workload's cells in one child JVM: a native death fails its cell,
                        // a fresh child takes the cells left, and the report is still written
                        .optChildJvm(cell -> true)
                        .optSelection(selection)
                        .optExpectations(table)
                        // a short growth interval shows the scaler growing, overflowing and
                        // backing off within the run
                        .optGradScaler(GradScalerConfig.builder().optGrowthInterval(25).build())
                        .optProgress(progress);
        // any rounding change perturbs training like another seed: one tolerance for all
        for (PrecisionVariant variant : PrecisionVariant.all()) {
            if (!variant.isReference()) {
                builder.optAccuracyTolerance(variant.label(), DigitsClassifiers.ACCURACY_TOLERANCE);
            }
        }
        return builder.build();
    }

    /** The engines that can train (TensorFlow cannot); null when the selection has none. */
    private static Selection trainingSelection(Selection selection) {
        Set<String> engines = new TreeSet<>();
        for (String engine : CompatMatrix.trainingEngines()) {
            if (selection.includesEngine(engine)) {
                engines.add(engine);
            }
        }
        return engines.isEmpty()
                ? null
                : new Selection(engines, selection.variants(), selection.deviceTypes());
    }

    /**
     * TensorFlow's inference cells, in their own section: they run a SavedModel, not the digits.
     */
    private MatrixResult tensorFlow(Selection selection, Expectations table) {
        String engine = "TensorFlow";
        // on the class path but unable to load (natives missing): its cells say so as UNSUPPORTED
        if (!Engine.getAllEngines().contains(engine) || !selection.includesEngine(engine)) {
            return null;
        }
        CompatMatrix matrix =
                CompatMatrix.builder(DigitsClassifiers.mlp(SEED))
                        .optSelection(
                                new Selection(
                                        Set.of(engine),
                                        selection.variants(),
                                        selection.deviceTypes()))
                        .optExpectations(table)
                        .build();
        MatrixResult result = section("tensorflow", matrix);
        return new MatrixResult(
                "tensorflow",
                "DJL's TensorFlow engine cannot train and takes no DJL Block: each cell loads a"
                        + " tiny SavedModel with the precision's load options and runs inference",
                result.machine(),
                result.selection(),
                result.settings(),
                result.excludedEngines(),
                result.results());
    }

    private List<MatrixResult> architectureAxis(List<Architecture> axis, Selection selection) {
        List<CompatMatrix> matrices = new ArrayList<>();
        int cells = 0;
        for (Architecture architecture : axis) {
            CompatMatrix matrix = ArchitectureMatrix.of(architecture, selection, progress);
            matrices.add(matrix);
            cells += matrix.cells().size();
        }
        if (cells == 0) {
            return List.of();
        }
        long start = System.nanoTime();
        progress.section("architectures", cells);
        List<MatrixResult> results = new ArrayList<>();
        for (int i = 0; i < matrices.size(); i++) {
            CompatMatrix matrix = matrices.get(i);
            List<CellResult> ran = new ArrayList<>();
            for (MatrixCell cell : matrix.cells()) {
                progress.cell(axis.get(i).id() + " " + cell.variant().label());
                ran.add(matrix.run(cell));
            }
            results.add(matrix.result(ran));
        }
        progress.clear();
        printSection("architectures", cells, results, start);
        return results;
    }

    private MatrixResult section(String name, CompatMatrix matrix) {
        long start = System.nanoTime();
        List<MatrixCell> cells = matrix.cells();
        progress.section(name, cells.size());
        List<CellResult> ran = new ArrayList<>();
        for (MatrixCell cell : cells) {
            progress.cell(cell.variant().label());
            ran.add(matrix.run(cell));
        }
        progress.clear();
        MatrixResult result = matrix.result(ran);
        printSection(name, cells.size(), List.of(result), start);
        return result;
    }

    private void printSection(String name, int cells, List<MatrixResult> results, long start) {
        out.printf(
                Locale.ROOT,
                "%-14s %4d cells: %s (%.0f s)%n",
                name,
                cells,
                summary(results),
                (System.nanoTime() - start) / 1e9);
    }

    private static String summary(List<MatrixResult> results) {
        long[] counts = new long[Verdict.values().length];
        for (MatrixResult result : results) {
            for (Verdict verdict : Verdict.values()) {
                counts[verdict.ordinal()] += result.count(verdict);
            }
        }
        return counts[Verdict.PASS.ordinal()]
                + " PASS, "
                + counts[Verdict.UNSUPPORTED.ordinal()]
                + " UNSUPPORTED, "
                + counts[Verdict.FAIL.ordinal()]
                + " FAIL";
    }

    private static List<Architecture> architectures(String ids) {
        if (ids.isBlank() || ids.strip().equals("all")) {
            return Arrays.asList(Architecture.values());
        }
        if (ids.strip().equals("none")) {
            return List.of();
        }
        return Arrays.stream(ids.split(",")).map(String::strip).map(Architecture::of).toList();
    }

    private static List<String> notes() {
        return List.of(
                Digits.ATTRIBUTION,
                String.format(
                        Locale.ROOT,
                        "Each digits cell trains from the same starting weights (seed %d) on the"
                                + " same 80%% of the images in the same order, and is tested on"
                                + " the other 20%% (a stratified split, seed %d). Every"
                                + " precision, 16-mixed and bf16-mixed included, must reach a"
                                + " test accuracy within %.3f of 32-true's: %s",
                        SEED,
                        DigitsWorkload.SPLIT_SEED,
                        DigitsClassifiers.ACCURACY_TOLERANCE,
                        DigitsClassifiers.TOLERANCE_REASON));
    }
}

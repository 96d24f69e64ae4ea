package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.util.Progress;

import io.github.djlprecision.GradScalerConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The compatibility matrix: every engine on the class path x every precision variant x every device
 * this machine has, each cell a short real training run (inference where the engine cannot train)
 * whose invariants are checked and whose outcome is compared with {@link Expectations}.
 *
 * <pre>{@code
 * CompatMatrix matrix = CompatMatrix.builder(new MyWorkload())
 *         .optSelection(Selection.parse("PyTorch", "32-true,16-mixed,bf16-mixed", "cpu"))
 *         .optLossTolerance("16-mixed", 0.05)
 *         .build();
 * MatrixResult result = matrix.runAll();
 * CompatReport.write(result, Paths.get("target/compat-report"));
 * }</pre>
 */
public final class CompatMatrix {

    static {
        // before any engine query below can load TensorFlow in this JVM
        TensorFlowCells.prepareProcess();
    }

    private final CompatWorkload workload;
    private final Selection selection;
    private final Expectations expectations;
    private final Map<String, Double> tolerances;
    private final boolean inferenceOnly;
    private final GradScalerConfig gradScaler;
    private final String pluginName;
    private final CellRunner runner;
    private final TensorFlowCells tensorFlow;
    private final Map<MatrixCell, CellResult> results = new HashMap<>();
    private final Map<String, CellRunner.Run> references = new HashMap<>();

    private CompatMatrix(Builder builder) {
        workload = builder.workload;
        selection = builder.selection;
        expectations = builder.expectations;
        tolerances = Map.copyOf(builder.tolerances);
        inferenceOnly = builder.inferenceOnly;
        gradScaler = builder.gradScaler;
        pluginName = builder.pluginName;
        runner = new CellRunner(workload, gradScaler, pluginName, builder.progress);
        tensorFlow = new TensorFlowCells(gradScaler, pluginName);
    }

    /**
     * Returns a builder for a workload; by default every cell, the bundled expectations, each
     * variant's default tolerance, and training wherever the engine can train.
     *
     * @param workload the model, data and training settings every cell runs
     * @return a new builder
     */
    public static Builder builder(CompatWorkload workload) {
        return new Builder(workload);
    }

    /**
     * Returns the selected cells: engines by name, then devices (cpu first, then each GPU), then
     * variants in {@link PrecisionVariant#all()} order.
     *
     * @return the cells
     */
    public List<MatrixCell> cells() {
        List<MatrixCell> cells = new ArrayList<>();
        for (String engine : computeEngines()) {
            List<Device> devices = new ArrayList<>();
            devices.add(Device.cpu());
            for (int i = 0; i < Engine.getEngine(engine).getGpuCount(); i++) {
                devices.add(Device.gpu(i));
            }
            for (Device device : devices) {
                for (PrecisionVariant variant : PrecisionVariant.all()) {
                    MatrixCell cell = new MatrixCell(engine, variant, device);
                    if (selection.includes(cell)) {
                        cells.add(cell);
                    }
                }
            }
        }
        return cells;
    }

    /**
     * Returns the engines on the class path that compute locally, by name.
     *
     * @return the engines the matrix covers
     */
    public static List<String> computeEngines() {
        List<String> engines = new ArrayList<>();
        for (String engine : new TreeSet<>(Engine.getAllEngines())) {
            if (!excludedEngines().containsKey(engine)) {
                engines.add(engine);
            }
        }
        return engines;
    }

    /**
     * Returns the engines on the class path that the matrix leaves out, and why: DJL's own RPC
     * engine forwards to a remote server and cannot create a local array.
     *
     * @return each left-out engine and the reason
     */
    public static Map<String, String> excludedEngines() {
        Map<String, String> excluded = new TreeMap<>();
        for (String name : Engine.getAllEngines()) {
            try (NDManager manager = Engine.getEngine(name).newBaseManager(Device.cpu())) {
                // on the cpu: a default device would ask CUDA, which logs warnings without a GPU;
                // a pass-through engine creates arrays but throws on any operation
                NDArray one = manager.ones(new Shape(1));
                one.add(one);
            } catch (UnsupportedOperationException e) {
                excluded.put(
                        name,
                        "cannot create local arrays ("
                                + e.getMessage()
                                + "): not a compute engine");
            } catch (EngineException e) {
                // e.g. TensorFlow without TENSORFLOW_LIBRARY_PATH offline: named, not dropped
                excluded.put(name, "failed to load: " + e.getMessage());
            }
        }
        return excluded;
    }

    /**
     * Runs one cell (once: later calls return the same result) and judges it. Never throws for what
     * happens inside the cell; that becomes its verdict.
     *
     * @param cell the cell
     * @return the verdict and what led to it
     */
    public synchronized CellResult run(MatrixCell cell) {
        return results.computeIfAbsent(cell, this::runAndJudge);
    }

    /**
     * Runs every selected cell.
     *
     * @return the results and the machine they ran on
     */
    public MatrixResult runAll() {
        List<CellResult> all = new ArrayList<>();
        for (MatrixCell cell : cells()) {
            all.add(run(cell));
        }
        return result(all);
    }

    /**
     * Wraps results (e.g. those a test collected cell by cell) with the workload and the machine.
     *
     * @param cellResults the results
     * @return the matrix result, ready for {@link CompatReport}
     */
    public MatrixResult result(List<CellResult> cellResults) {
        return new MatrixResult(
                workload.name(),
                workload.description(),
                MachineInfo.collect(),
                selection,
                settings(),
                excludedEngines(),
                List.copyOf(cellResults));
    }

    private String settings() {
        StringBuilder text =
                new StringBuilder(
                        inferenceOnly ? "inference only" : "training where the engine can");
        if (pluginName != null) {
            text.append("; plugin provider '").append(pluginName).append('\'');
        }
        if (computeEngines().contains(TensorFlowCells.ENGINE)) {
            text.append("; TensorFlow cells: inference of the ")
                    .append(TinySavedModel.DESCRIPTION)
                    .append(", loss = mean squared error to the float64 reference, 16-bit outputs")
                    .append(" within ")
                    .append(TensorFlowCells.OUTPUT_TOLERANCE)
                    .append(" x max|y| of 32-true");
        }
        text.append("; loss scaling ").append(gradScaler).append("; loss tolerance vs 32-true:");
        for (PrecisionVariant variant : PrecisionVariant.all()) {
            if (!variant.isReference()) {
                text.append(' ').append(variant.label()).append(' ').append(lossTolerance(variant));
            }
        }
        return text.toString();
    }

    /**
     * Returns the tolerance a variant's final loss has against {@code 32-true}.
     *
     * @param variant the variant
     * @return the tolerance set on the builder, or the variant's default
     */
    public double lossTolerance(PrecisionVariant variant) {
        return tolerances.getOrDefault(variant.label(), variant.defaultLossTolerance());
    }

    private CellResult runAndJudge(MatrixCell cell) {
        CellMode mode =
                inferenceOnly || !canTrain(cell.engine()) ? CellMode.INFERENCE : CellMode.TRAINING;
        CellRunner.Run run =
                cell.variant().isReference()
                        ? reference(cell, mode)
                        : execute(
                                cell,
                                mode,
                                () -> reference(cell, mode),
                                lossTolerance(cell.variant()));
        return judge(cell, expectations.get(cell), run);
    }

    /**
     * Runs a cell: TensorFlow cells load a SavedModel (DJL's TensorFlow engine takes no Block),
     * every other engine runs the workload.
     */
    private CellRunner.Run execute(
            MatrixCell cell, CellMode mode, Supplier<CellRunner.Run> reference, double tolerance) {
        if (TensorFlowCells.ENGINE.equals(cell.engine())) {
            return tensorFlow.infer(cell, reference);
        }
        return mode == CellMode.TRAINING
                ? runner.train(cell, reference, tolerance)
                : runner.infer(cell, reference, tolerance);
    }

    /** The 32-true run of an engine and device, shared by every cell there. */
    private CellRunner.Run reference(MatrixCell cell, CellMode mode) {
        MatrixCell reference =
                new MatrixCell(cell.engine(), PrecisionVariant.parse("32-true"), cell.device());
        return references.computeIfAbsent(
                reference.id() + mode, key -> execute(reference, mode, null, 0));
    }

    /** DJL's inference-only engines (e.g. TensorFlow) refuse to make a gradient collector. */
    private static boolean canTrain(String engine) {
        try (GradientCollector collector = Engine.getEngine(engine).newGradientCollector()) {
            return collector != null;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Turns what a cell did into its verdict: checks decide PASS or FAIL, a refusal is UNSUPPORTED
     * only when the table expects it with that designed message, and any disagreement with the
     * table is a FAIL that says which row to look at.
     */
    static CellResult judge(
            MatrixCell cell, Optional<Expectations.Expectation> expectation, CellRunner.Run run) {
        Verdict expected = expectation.map(Expectations.Expectation::verdict).orElse(null);
        List<Check> checks = run.checks();
        if (run.refusal() != null) {
            String message = run.refusal().getMessage();
            if (expected == Verdict.UNSUPPORTED) {
                if (expectation.get().reason().matcher(message).find()) {
                    return new CellResult(
                            cell, Verdict.UNSUPPORTED, message, expected, null, null, checks, null);
                }
                return fail(
                        cell,
                        expected,
                        run,
                        "refused, but not with the designed error: expected /"
                                + expectation.get().reason()
                                + "/, got: "
                                + message);
            }
            return fail(
                    cell,
                    expected,
                    run,
                    (expected == null ? "no expectation for this cell; " : "expected PASS, but ")
                            + "refused: "
                            + message);
        }
        if (run.error() != null) {
            Exception error = run.error();
            return fail(
                    cell,
                    expected,
                    run,
                    "unexpected " + error.getClass().getSimpleName() + ": " + error.getMessage());
        }
        List<String> failed = new ArrayList<>();
        checks.stream()
                .filter(c -> !c.passed())
                .forEach(c -> failed.add(c.name() + " (" + c.detail() + ")"));
        if (!failed.isEmpty()) {
            return fail(cell, expected, run, "failed checks: " + String.join("; ", failed));
        }
        if (expected == null) {
            return fail(
                    cell,
                    null,
                    run,
                    "ran and passed every check, but the expectation table has no row for "
                            + cell.engine()
                            + " "
                            + cell.variant().label()
                            + " "
                            + cell.deviceType()
                            + ": add one");
        }
        if (expected == Verdict.UNSUPPORTED) {
            return fail(
                    cell,
                    expected,
                    run,
                    "ran and passed every check, but the expectation table says UNSUPPORTED: set"
                        + " its row to PASS");
        }
        return new CellResult(
                cell, Verdict.PASS, "", expected, run.mode(), run.path(), checks, run.metrics());
    }

    private static CellResult fail(
            MatrixCell cell, Verdict expected, CellRunner.Run run, String reason) {
        return new CellResult(
                cell,
                Verdict.FAIL,
                reason,
                expected,
                run.mode(),
                run.path(),
                run.checks(),
                run.metrics());
    }

    /** Builds {@link CompatMatrix}. */
    public static final class Builder {

        private final CompatWorkload workload;
        private Selection selection = Selection.all();
        private Expectations expectations = Expectations.bundled();
        private final Map<String, Double> tolerances = new HashMap<>();
        private boolean inferenceOnly;
        private GradScalerConfig gradScaler = GradScalerConfig.defaults();
        private String pluginName;
        private Progress progress;

        Builder(CompatWorkload workload) {
            if (workload == null) {
                throw new IllegalArgumentException("workload must not be null");
            }
            this.workload = workload;
        }

        /**
         * Runs only some engines, precisions or devices.
         *
         * @param selection the subset
         * @return this builder
         */
        public Builder optSelection(Selection selection) {
            this.selection = selection;
            return this;
        }

        /**
         * Replaces the bundled expectation table, e.g. with rows for a model that a guard refuses
         * in some precision.
         *
         * @param expectations the table
         * @return this builder
         */
        public Builder optExpectations(Expectations expectations) {
            this.expectations = expectations;
            return this;
        }

        /**
         * Sets how far a variant's final loss may lie from {@code 32-true}'s.
         *
         * @param variant a precision label, e.g. {@code "bf16-mixed"}
         * @param tolerance the allowed absolute difference
         * @return this builder
         */
        public Builder optLossTolerance(String variant, double tolerance) {
            if (!(tolerance >= 0)) {
                throw new IllegalArgumentException("tolerance must be 0 or more, got " + tolerance);
            }
            tolerances.put(PrecisionVariant.parse(variant).label(), tolerance);
            return this;
        }

        /**
         * Sets the loss-scaling settings of every variant that scales the loss (default: PyTorch's
         * GradScaler defaults).
         *
         * @param gradScaler the settings
         * @return this builder
         */
        public Builder optGradScaler(GradScalerConfig gradScaler) {
            if (gradScaler == null) {
                throw new IllegalArgumentException("gradScaler must not be null");
            }
            this.gradScaler = gradScaler;
            return this;
        }

        /**
         * Runs every cell with one named plugin provider, e.g. a team's own provider, instead of
         * the one picked by engine and precision.
         *
         * @param pluginName the provider's name
         * @return this builder
         */
        public Builder optPluginName(String pluginName) {
            this.pluginName = pluginName;
            return this;
        }

        /**
         * Runs every cell forward only, as for an engine that cannot train.
         *
         * @param inferenceOnly true to skip training
         * @return this builder
         */
        public Builder optInferenceOnly(boolean inferenceOnly) {
            this.inferenceOnly = inferenceOnly;
            return this;
        }

        /**
         * Shows each cell's training steps on a progress bar, e.g. DJL's {@code ProgressBar}.
         *
         * @param progress the progress bar, or null for none
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Builds the matrix; nothing runs yet.
         *
         * @return the matrix
         */
        public CompatMatrix build() {
            return new CompatMatrix(this);
        }
    }
}

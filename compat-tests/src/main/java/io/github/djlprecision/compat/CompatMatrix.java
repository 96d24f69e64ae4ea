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

import io.github.djlprecision.spi.PrecisionPlugins;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

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

    /** How {@link #excludedEngines()} names an engine whose natives failed to load. */
    static final String FAILED_TO_LOAD = "failed to load: ";

    static {
        // before any engine query below can load TensorFlow in this JVM
        EngineSetup.prepareProcess();
    }

    private final CompatWorkload workload;
    private final Selection selection;
    private final Expectations expectations;
    private final Map<String, Double> lossTolerances;
    private final Map<String, Double> accuracyTolerances;
    private final boolean inferenceOnly;
    private final boolean shortRun;
    private final GradScalerConfig gradScaler;
    private final String pluginName;
    private final TrainingCell training;
    private final InferenceCell inference;
    private final TensorFlowCells tensorFlow;
    private final Predicate<MatrixCell> inChildJvm;
    private final ChildJvmCells children;
    private final Map<MatrixCell, CellResult> results = new HashMap<>();
    private final Map<String, CellRun> references = new HashMap<>();
    private Map<String, String> unloadable;

    private CompatMatrix(Builder builder) {
        workload = builder.workload;
        selection = builder.selection;
        expectations = builder.expectations;
        lossTolerances = Map.copyOf(builder.lossTolerances);
        accuracyTolerances = Map.copyOf(builder.accuracyTolerances);
        inferenceOnly = builder.inferenceOnly;
        shortRun = builder.shortRun;
        gradScaler = builder.gradScaler;
        pluginName = builder.pluginName;
        training = new TrainingCell(workload, gradScaler, pluginName, shortRun, builder.progress);
        inference = new InferenceCell(workload, gradScaler, pluginName);
        tensorFlow =
                EngineSetup.TENSORFLOW_CELLS ? new TensorFlowCells(gradScaler, pluginName) : null;
        inChildJvm = builder.inChildJvm;
        children =
                new ChildJvmCells(
                        workload, gradScaler, pluginName, shortRun, builder.childJvmSecondsPerCell);
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
        TreeSet<String> engines = new TreeSet<>(computeEngines());
        engines.addAll(unloadableEngines().keySet());
        for (String engine : engines) {
            List<Device> devices = new ArrayList<>();
            devices.add(Device.cpu());
            // an engine that cannot load cannot count its GPUs: its cells are on the cpu only
            int gpus = unloadableEngines().containsKey(engine) ? 0 : Engine.getEngine(engine).getGpuCount();
            for (int i = 0; i < gpus; i++) {
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
     * Returns the engines on the class path whose natives failed to load, and why, once per
     * matrix: their cells are UNSUPPORTED with that reason instead of ending the run.
     */
    private Map<String, String> unloadableEngines() {
        if (unloadable == null) {
            unloadable = new TreeMap<>();
            excludedEngines()
                    .forEach(
                            (engine, why) -> {
                                if (why.startsWith(FAILED_TO_LOAD)) {
                                    unloadable.put(engine, why);
                                }
                            });
        }
        return unloadable;
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
            if (name.equals(TensorFlowCells.ENGINE) && !EngineSetup.TENSORFLOW_CELLS) {
                excluded.put(
                        name,
                        "its cells need djl-precision-tensorflow on the class path (the engine"
                                + " takes no DJL Block)");
                continue;
            }
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
            } catch (EngineException | LinkageError e) {
                // e.g. TensorFlow without TENSORFLOW_LIBRARY_PATH offline: named, not dropped
                excluded.put(name, FAILED_TO_LOAD + e.getMessage());
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
     * @return the matrix result, ready for {@link
     *     io.github.djlprecision.compat.report.CompatReport}
     */
    public MatrixResult result(List<CellResult> cellResults) {
        return new MatrixResult(
                workload.name(),
                workload.description(),
                MachineInfo.collect(),
                selection,
                settings(cellResults),
                excludedEngines(),
                List.copyOf(cellResults));
    }

    private String settings(List<CellResult> cellResults) {
        StringBuilder text =
                new StringBuilder(
                        inferenceOnly ? "inference only" : "training where the engine can");
        if (shortRun) {
            text.append(" (a few steps per cell: the loss must stay finite and not diverge)");
        }
        if (pluginName != null) {
            text.append("; plugin provider '").append(pluginName).append('\'');
        }
        if (tensorFlow != null
                && computeEngines().contains(TensorFlowCells.ENGINE)
                && selection.includesEngine(TensorFlowCells.ENGINE)) {
            text.append("; TensorFlow cells: inference of the ")
                    .append(TinySavedModel.DESCRIPTION)
                    .append(", loss = mean squared error to the float64 reference, 16-bit outputs")
                    .append(" within ")
                    .append(TensorFlowCells.OUTPUT_TOLERANCE)
                    .append(" x max|y| of 32-true");
        }
        text.append("; loss scaling ").append(gradScaler);
        boolean tested =
                cellResults.stream()
                        .anyMatch(
                                r ->
                                        r.metrics() != null
                                                && !Double.isNaN(r.metrics().testAccuracy()));
        if (!shortRun && tested) {
            text.append("; test accuracy tolerance vs 32-true:");
            appendTolerances(text, this::accuracyTolerance);
        } else if (!shortRun) {
            text.append("; loss tolerance vs 32-true:");
            appendTolerances(text, this::lossTolerance);
        }
        return text.toString();
    }

    private static void appendTolerances(
            StringBuilder text, ToDoubleFunction<PrecisionVariant> tolerance) {
        for (PrecisionVariant variant : PrecisionVariant.all()) {
            if (!variant.isReference()) {
                text.append(' ')
                        .append(variant.label())
                        .append(' ')
                        .append(tolerance.applyAsDouble(variant));
            }
        }
    }

    /**
     * Returns the tolerance a variant's final loss has against {@code 32-true}.
     *
     * @param variant the variant
     * @return the tolerance set on the builder, or the variant's default
     */
    public double lossTolerance(PrecisionVariant variant) {
        return lossTolerances.getOrDefault(variant.label(), variant.defaultLossTolerance());
    }

    /**
     * Returns the tolerance a variant's test accuracy has against {@code 32-true}, for workloads
     * with a test set.
     *
     * @param variant the variant
     * @return the tolerance set on the builder, or the variant's default
     */
    public double accuracyTolerance(PrecisionVariant variant) {
        return accuracyTolerances.getOrDefault(variant.label(), variant.defaultAccuracyTolerance());
    }

    private CellResult runAndJudge(MatrixCell cell) {
        String unloaded = unloadableEngines().get(cell.engine());
        if (unloaded != null) {
            return new CellResult(
                    cell,
                    Verdict.UNSUPPORTED,
                    "the " + cell.engine() + " engine " + unloaded,
                    expectations.get(cell).map(Expectations.Expectation::verdict).orElse(null),
                    null,
                    null,
                    List.of(),
                    null,
                    false);
        }
        // the fp32 reference runs the user's model without a plugin: the host needs preparing too
        PrecisionPlugins.prepareHost(cell.engine());
        CellMode mode =
                inferenceOnly || !canTrain(cell.engine()) ? CellMode.INFERENCE : CellMode.TRAINING;
        CellRun run;
        if (cell.variant().isReference()) {
            run = reference(cell, mode);
        } else if (tensorFlow != null && TensorFlowCells.ENGINE.equals(cell.engine())) {
            run = tensorFlow.infer(cell, () -> reference(cell, mode));
        } else {
            run = execute(cell, mode);
            if (run.metrics() != null) {
                // the reference runs after the cell: each model seeds the engine when it is made
                run =
                        ReferenceChecks.compare(
                                run,
                                cell.variant(),
                                reference(cell, mode),
                                new ReferenceChecks.Tolerances(
                                        shortRun ? Double.NaN : lossTolerance(cell.variant()),
                                        shortRun ? Double.NaN : accuracyTolerance(cell.variant())));
            }
        }
        return CellJudge.judge(cell, expectations.get(cell), run);
    }

    /**
     * Runs a cell of the workload (TensorFlow cells load a SavedModel instead, see above), in a
     * child JVM if the builder asked for it.
     */
    private CellRun execute(MatrixCell cell, CellMode mode) {
        if (inChildJvm.test(cell)) {
            List<MatrixCell> batch =
                    cells().stream()
                            .filter(c -> c.engine().equals(cell.engine()) && inChildJvm.test(c))
                            .toList();
            return children.run(cell, mode, batch);
        }
        return mode == CellMode.TRAINING ? training.run(cell) : inference.run(cell);
    }

    /** The 32-true run of an engine and device, shared by every cell there. */
    private CellRun reference(MatrixCell cell, CellMode mode) {
        MatrixCell reference =
                new MatrixCell(cell.engine(), PrecisionVariant.parse("32-true"), cell.device());
        return references.computeIfAbsent(
                reference.id() + mode,
                key -> {
                    CellRun run =
                            tensorFlow != null && TensorFlowCells.ENGINE.equals(cell.engine())
                                    ? tensorFlow.infer(reference, null)
                                    : execute(reference, mode);
                    CellMetrics metrics = run.metrics();
                    return metrics == null || !Double.isNaN(metrics.referenceLoss())
                            ? run
                            : run.with(
                                    List.of(),
                                    metrics.withReference(
                                            metrics.finalLoss(), metrics.testAccuracy()));
                });
    }

    /**
     * Returns the compute engines on the class path that can train (DJL's TensorFlow engine, for
     * one, cannot), by name.
     *
     * @return the engines whose cells train the workload
     */
    public static List<String> trainingEngines() {
        return computeEngines().stream().filter(CompatMatrix::canTrain).toList();
    }

    /** DJL's inference-only engines (e.g. TensorFlow) refuse to make a gradient collector. */
    private static boolean canTrain(String engine) {
        try (GradientCollector collector = Engine.getEngine(engine).newGradientCollector()) {
            return collector != null;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /** Builds {@link CompatMatrix}. */
    public static final class Builder {

        private final CompatWorkload workload;
        private Selection selection = Selection.all();
        private Expectations expectations = Expectations.bundled();
        private final Map<String, Double> lossTolerances = new HashMap<>();
        private final Map<String, Double> accuracyTolerances = new HashMap<>();
        private boolean inferenceOnly;
        private boolean shortRun;
        private GradScalerConfig gradScaler = GradScalerConfig.defaults();
        private String pluginName;
        private Progress progress;
        private Predicate<MatrixCell> inChildJvm = cell -> false;
        private long childJvmSecondsPerCell = 300;

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
            lossTolerances.put(PrecisionVariant.parse(variant).label(), tolerance);
            return this;
        }

        /**
         * Sets how far a variant's test accuracy may lie from {@code 32-true}'s, for workloads with
         * a test set ({@link CompatWorkload#testSet}).
         *
         * @param variant a precision label, e.g. {@code "bf16-mixed"}
         * @param tolerance the allowed absolute difference, as a fraction (0.02 = 2 points)
         * @return this builder
         */
        public Builder optAccuracyTolerance(String variant, double tolerance) {
            if (!(tolerance >= 0)) {
                throw new IllegalArgumentException("tolerance must be 0 or more, got " + tolerance);
            }
            accuracyTolerances.put(PrecisionVariant.parse(variant).label(), tolerance);
            return this;
        }

        /**
         * Declares that each cell trains only a few steps (e.g. a sweep over many architectures):
         * the loss must then stay finite and not diverge rather than decrease, and neither loss nor
         * accuracy is compared with {@code 32-true}. Dtype, loss-scaling and memory checks stay.
         *
         * @param shortRun true for a few steps per cell
         * @return this builder
         */
        public Builder optShortRun(boolean shortRun) {
            this.shortRun = shortRun;
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
         * Runs some cells each in a fresh JVM (several together when they can), so that a cell that
         * terminates its process, e.g. bfloat16 reaching a DJL call that aborts the JVM, becomes a
         * FAIL instead of ending the run. Cells the engine refuses up front need no child. The
         * workload must have a public constructor taking its name, or none, for the child to
         * rebuild it; the child gets this JVM's class path, its {@code ai.djl.*}, {@code
         * djl.precision.*} and {@code org.slf4j.*} system properties and its environment. A child
         * that dies names the signal, the native frame and HotSpot's fatal error report in the
         * failed cell; one that spends longer than {@link #optChildJvmTimeout} on a cell is killed.
         *
         * @param inChildJvm selects the cells, e.g. {@code cell ->
         *     cell.variant().precision().isBfloat16()}
         * @return this builder
         * @throws IllegalArgumentException if the workload cannot be rebuilt in a child JVM
         */
        public Builder optChildJvm(Predicate<MatrixCell> inChildJvm) {
            ChildJvmCells.checkRebuildable(workload);
            this.inChildJvm = inChildJvm;
            return this;
        }

        /**
         * Sets how long a child JVM may spend on one cell (the first one includes its start)
         * before it is killed and the cell fails; 300 seconds by default.
         *
         * @param perCell the time per cell, at least one second
         * @return this builder
         * @throws IllegalArgumentException if shorter than one second
         */
        public Builder optChildJvmTimeout(Duration perCell) {
            if (perCell.getSeconds() < 1) {
                throw new IllegalArgumentException(
                        "a child JVM's timeout per cell must be at least 1 second, not " + perCell);
            }
            this.childJvmSecondsPerCell = perCell.getSeconds();
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

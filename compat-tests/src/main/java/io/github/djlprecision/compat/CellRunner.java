package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Progress;

import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.training.PrecisionTrainer;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.scaling.ScalerState;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepOutcome;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Runs one cell and checks its invariants. It reports what happened; {@link CompatMatrix} turns
 * that into a verdict with the expectation table.
 */
final class CellRunner {

    private static final String ACCURACY = "Accuracy";
    private static final String ACCUMULATOR = "compat-matrix";

    /**
     * What running a cell gave, before the expectation table is consulted: a refusal, an unexpected
     * error, or a run with its checks.
     */
    record Run(
            UnsupportedPrecisionException refusal,
            Exception error,
            CellMode mode,
            String path,
            List<Check> checks,
            CellMetrics metrics) {

        static Run refused(UnsupportedPrecisionException refusal) {
            return new Run(refusal, null, null, null, List.of(), null);
        }

        static Run failed(Exception error, CellMode mode, String path, List<Check> checks) {
            return new Run(null, error, mode, path, checks, null);
        }
    }

    private record Eval(double loss, double accuracy, int batches, double medianMillis) {}

    private final CompatWorkload workload;
    private final GradScalerConfig gradScaler;
    private final String pluginName;
    private final Progress progress;

    CellRunner(
            CompatWorkload workload,
            GradScalerConfig gradScaler,
            String pluginName,
            Progress progress) {
        this.workload = workload;
        this.gradScaler = gradScaler;
        this.pluginName = pluginName;
        this.progress = progress;
    }

    /**
     * Trains the workload in the cell's precision.
     *
     * @param cell the cell
     * @param referenceRun gives the {@code 32-true} run on the same engine and device, asked only
     *     once this cell runs; null for the reference itself
     * @param tolerance the allowed absolute difference of the final loss from the reference's
     */
    Run train(MatrixCell cell, Supplier<Run> referenceRun, double tolerance) {
        PrecisionVariant variant = cell.variant();
        List<Check> checks = new ArrayList<>();
        String path = null;
        try (Model model = workload.newModel(cell.engine(), cell.device());
                NDManager dataManager = model.getNDManager().newSubManager()) {
            PrecisionTrainer trainer;
            try {
                trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                workload.trainingConfig(cell.device()),
                                variant.config(gradScaler, pluginName));
            } catch (UnsupportedPrecisionException e) {
                return Run.refused(e);
            }
            try (trainer) {
                try {
                    trainer.initialize(workload.inputShapes());
                } catch (UnsupportedPrecisionException e) {
                    return Run.refused(e);
                }
                path = trainer.getPlugin().getPath();
                // only once initialized: the reference's model draws from the engine's seeded
                // generator too
                Run reference = referenceRun == null ? null : referenceRun.get();
                ParameterBytes parameterBytes = checkParameters(model.getBlock(), variant, checks);
                Dataset dataset = workload.trainingSet(dataManager);
                ActivationProbe.Probe probe;
                try (Batch first = trainer.iterateDataset(dataset).iterator().next()) {
                    probe =
                            ActivationProbe.run(
                                    model.getBlock(),
                                    trainer.getPlugin(),
                                    cell.device(),
                                    first.getData(),
                                    variant,
                                    trainer::getWorkingParameter);
                    checkProbe(probe, variant, checks);
                    if (!checkOutput(trainer.evaluate(first.getData()).head(), variant, checks)) {
                        // a loss on a type DJL cannot name may abort the JVM: stop here
                        return new Run(null, null, CellMode.TRAINING, path, checks, null);
                    }
                }
                Eval before =
                        evaluate(
                                trainer.iterateDataset(dataset),
                                trainer::evaluate,
                                trainer.getLoss(),
                                trainer.getEvaluators());
                Steps steps = new Steps();
                if (progress != null) {
                    // DJL's bar shortens long messages to a dozen characters: the precision says
                    // enough
                    progress.reset(variant.label(), (long) before.batches() * workload.epochs());
                }
                for (int epoch = 0; epoch < workload.epochs(); epoch++) {
                    for (Batch batch : trainer.iterateDataset(dataset)) {
                        try (batch) {
                            steps.add(
                                    trainStep(
                                            trainer,
                                            batch.getData(),
                                            batch.getLabels(),
                                            checks,
                                            steps.count() == 0));
                        }
                        if (progress != null) {
                            progress.increment(1);
                        }
                    }
                }
                if (progress != null) {
                    progress.end();
                }
                Eval after =
                        evaluate(
                                trainer.iterateDataset(dataset),
                                trainer::evaluate,
                                trainer.getLoss(),
                                trainer.getEvaluators());
                checks.add(
                        new Check(
                                "loss decreases",
                                Double.isFinite(after.loss()) && after.loss() < before.loss(),
                                String.format(
                                        "%.4f before training, %.4f after",
                                        before.loss(), after.loss())));
                checkLossScaling(trainer, variant, steps, checks);
                if (variant.usesLossScaling()) {
                    try (Batch first = trainer.iterateDataset(dataset).iterator().next()) {
                        checkOverflowIsSkipped(trainer, first, checks);
                    }
                }
                CellMetrics metrics =
                        new CellMetrics(
                                before.loss(),
                                after.loss(),
                                reference == null ? after.loss() : referenceLoss(reference),
                                after.accuracy(),
                                steps.skippedCount(),
                                steps.count() == 0 ? Double.NaN : steps.scales[steps.count() - 1],
                                steps.medianMillis(),
                                parameterBytes.bytes(),
                                probe.activationBytes(),
                                Arrays.copyOf(steps.losses, steps.count()),
                                Arrays.copyOf(steps.scales, steps.count()),
                                Arrays.copyOf(steps.skipped, steps.count()),
                                probe.layers());
                compareToReference(variant, metrics, parameterBytes, reference, tolerance, checks);
                return new Run(null, null, CellMode.TRAINING, path, checks, metrics);
            }
        } catch (IOException | TranslateException | RuntimeException e) {
            return Run.failed(e, CellMode.TRAINING, path, checks);
        }
    }

    /**
     * Runs the workload's model forward only, with weights as initialized, in the cell's precision:
     * for engines that cannot train.
     *
     * @param cell the cell
     * @param referenceRun gives the {@code 32-true} inference run, asked only once this cell runs;
     *     null for the reference itself
     * @param tolerance the allowed absolute difference of the loss from the reference's
     */
    Run infer(MatrixCell cell, Supplier<Run> referenceRun, double tolerance) {
        PrecisionVariant variant = cell.variant();
        List<Check> checks = new ArrayList<>();
        String path = null;
        Device device = cell.device();
        try (Model model = workload.newModel(cell.engine(), device);
                NDManager dataManager = model.getNDManager().newSubManager()) {
            PrecisionPlugin plugin;
            try {
                plugin =
                        PrecisionPlugins.create(
                                new PluginRequest(
                                        cell.engine(),
                                        device,
                                        variant.config(gradScaler, pluginName),
                                        PluginRequest.Purpose.INFERENCE,
                                        model));
            } catch (UnsupportedPrecisionException e) {
                return Run.refused(e);
            }
            try (plugin) {
                path = plugin.getPath();
                Block block = model.getBlock();
                TrainingConfig config = workload.trainingConfig(device);
                // as Model.newTrainer does: the workload's initializers give every type the
                // reference's starting weights
                config.getInitializers()
                        .forEach(pair -> block.setInitializer(pair.getKey(), pair.getValue()));
                plugin.beforeInitialize(model);
                block.initialize(model.getNDManager(), model.getDataType(), workload.inputShapes());
                plugin.convertModule(model);
                // only now: the reference's model draws from the engine's seeded generator too
                Run reference = referenceRun == null ? null : referenceRun.get();
                ParameterBytes parameterBytes = checkParameters(block, variant, checks);
                Dataset dataset = workload.trainingSet(dataManager);
                ParameterStore store = new ParameterStore(model.getNDManager(), false);
                UnaryOperator<NDList> forward =
                        input -> {
                            NDList converted = plugin.convertInput(input);
                            NDList output;
                            try (ForwardContext ignored = plugin.forwardContext(device)) {
                                output = block.forward(store, converted, false);
                            }
                            return plugin.convertOutput(output);
                        };
                ActivationProbe.Probe probe;
                try (Batch first = dataset.getData(dataManager).iterator().next()) {
                    probe =
                            ActivationProbe.run(
                                    block, plugin, device, first.getData(), variant, null);
                    checkProbe(probe, variant, checks);
                    if (!checkOutput(forward.apply(first.getData()).head(), variant, checks)) {
                        return new Run(null, null, CellMode.INFERENCE, path, checks, null);
                    }
                }
                Eval eval =
                        evaluate(
                                dataset.getData(dataManager),
                                forward,
                                config.getLossFunction(),
                                config.getEvaluators());
                CellMetrics metrics =
                        new CellMetrics(
                                eval.loss(),
                                eval.loss(),
                                reference == null ? eval.loss() : referenceLoss(reference),
                                eval.accuracy(),
                                0,
                                Double.NaN,
                                eval.medianMillis(),
                                parameterBytes.bytes(),
                                probe.activationBytes(),
                                new float[0],
                                new float[0],
                                new boolean[0],
                                probe.layers());
                compareToReference(variant, metrics, parameterBytes, reference, tolerance, checks);
                return new Run(null, null, CellMode.INFERENCE, path, checks, metrics);
            }
        } catch (IOException | TranslateException | RuntimeException e) {
            return Run.failed(e, CellMode.INFERENCE, path, checks);
        }
    }

    private static double referenceLoss(Run reference) {
        return reference.metrics() == null ? Double.NaN : reference.metrics().finalLoss();
    }

    /** One step as {@code EasyTrain.trainBatch} runs it, plus the dtype checks of gradients. */
    private static StepRecord trainStep(
            PrecisionTrainer trainer,
            NDList data,
            NDList labels,
            List<Check> checks,
            boolean first) {
        long start = System.nanoTime();
        float loss;
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDList predictions = trainer.forward(data, labels);
            NDArray lossArray = trainer.getLoss().evaluate(labels, predictions);
            collector.backward(lossArray);
            loss = scalar(lossArray);
        }
        if (first) {
            checkGradients(trainer, checks);
        }
        trainer.step();
        long nanos = System.nanoTime() - start;
        StepOutcome outcome = trainer.getLastOutcome().orElseThrow();
        return new StepRecord(loss, outcome.lossScale(), !outcome.applied(), nanos);
    }

    private record StepRecord(float loss, float scale, boolean skipped, long nanos) {}

    /** Per-step records, in arrays the report plots. */
    private static final class Steps {

        private float[] losses = new float[64];
        private float[] scales = new float[64];
        private boolean[] skipped = new boolean[64];
        private long[] nanos = new long[64];
        private int count;

        void add(StepRecord step) {
            if (count == losses.length) {
                losses = Arrays.copyOf(losses, count * 2);
                scales = Arrays.copyOf(scales, count * 2);
                skipped = Arrays.copyOf(skipped, count * 2);
                nanos = Arrays.copyOf(nanos, count * 2);
            }
            losses[count] = step.loss();
            scales[count] = step.scale();
            skipped[count] = step.skipped();
            nanos[count] = step.nanos();
            count++;
        }

        int count() {
            return count;
        }

        int skippedCount() {
            int skippedSteps = 0;
            for (int i = 0; i < count; i++) {
                skippedSteps += skipped[i] ? 1 : 0;
            }
            return skippedSteps;
        }

        /** The median step time, leaving out the first step (allocation and native warm-up). */
        double medianMillis() {
            if (count == 0) {
                return Double.NaN;
            }
            return median(Arrays.copyOfRange(nanos, Math.min(1, count - 1), count)) / 1e6;
        }
    }

    private static double median(long[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    private static float scalar(NDArray array) {
        return array.getDataType() == DataType.FLOAT32
                ? array.getFloat()
                : array.toType(DataType.FLOAT32, false).getFloat();
    }

    /**
     * What the parameters occupy, and what they would occupy in the types the variant expects.
     *
     * @param bytes the bytes in their proven types
     * @param expectedBytes the bytes in the expected types
     */
    private record ParameterBytes(long bytes, long expectedBytes) {}

    /** Checks each parameter's type against what the variant allows for its block. */
    private static ParameterBytes checkParameters(
            Block root, PrecisionVariant variant, List<Check> checks) {
        Map<Parameter, Block> owners = new IdentityHashMap<>();
        collectOwners(root, owners);
        long bytes = 0;
        long expectedBytes = 0;
        List<String> wrong = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        for (Map.Entry<Parameter, Block> entry : owners.entrySet()) {
            NDArray array = entry.getKey().getArray();
            Set<DataType> allowed = variant.parameterTypes(entry.getValue());
            seen.add(DataTypes.describe(array));
            if (!DataTypes.isOneOf(array, allowed)) {
                wrong.add(
                        entry.getKey().getName()
                                + " is "
                                + DataTypes.describe(array)
                                + ", expected "
                                + allowed);
            }
            if (DataTypes.proven(array) != DataType.UNKNOWN) {
                bytes += DataTypes.bytes(array);
            }
            expectedBytes += array.size() * allowed.iterator().next().getNumOfBytes();
        }
        checks.add(
                new Check(
                        "parameter dtypes",
                        wrong.isEmpty(),
                        wrong.isEmpty()
                                ? owners.size() + " parameters, " + seen
                                : String.join("; ", wrong)));
        return new ParameterBytes(bytes, expectedBytes);
    }

    private static void collectOwners(Block block, Map<Parameter, Block> owners) {
        block.getDirectParameters().values().forEach(p -> owners.put(p, block));
        block.getChildren().values().forEach(child -> collectOwners(child, owners));
    }

    /**
     * Checks that gradients, between backward and step, have the types of the arrays the forward
     * computed with (the parameters, or Apex O2's fp16 working copies).
     */
    private static void checkGradients(PrecisionTrainer trainer, List<Check> checks) {
        Block root = trainer.getModel().getBlock();
        List<String> wrong = new ArrayList<>();
        boolean anyNonZero = false;
        int count = 0;
        for (Parameter parameter : root.getParameters().values()) {
            if (!parameter.requiresGradient()) {
                continue;
            }
            count++;
            NDArray array = trainer.getWorkingParameter(parameter);
            try (NDArray gradient = array.getGradient()) {
                DataType expected = DataTypes.proven(array);
                DataType actual = DataTypes.proven(gradient);
                if (actual != expected) {
                    wrong.add(
                            parameter.getName()
                                    + ": "
                                    + DataTypes.name(actual)
                                    + " for a "
                                    + DataTypes.name(expected)
                                    + " parameter");
                }
                try (NDArray wide = gradient.toType(DataType.FLOAT32, true);
                        NDArray abs = wide.abs();
                        NDArray max = abs.max()) {
                    // inf or NaN in a scaled first step still shows that backward reached it
                    anyNonZero |= max.getFloat() != 0f;
                }
            }
        }
        boolean ok = wrong.isEmpty() && anyNonZero;
        String detail =
                !wrong.isEmpty()
                        ? String.join("; ", wrong)
                        : anyNonZero
                                ? count
                                        + " gradients in their parameters' types, backward reached"
                                        + " them"
                                : "every gradient is zero after backward";
        checks.add(new Check("gradient dtypes", ok, detail));
    }

    private static void checkProbe(
            ActivationProbe.Probe probe, PrecisionVariant variant, List<Check> checks) {
        String compute = DataTypes.name(variant.computeType());
        String types = describeLayers(probe.layers());
        checks.add(
                new Check(
                        "Linear/Conv layers compute in " + compute,
                        probe.matmulLayers() > 0 && probe.matmulTypesOk(),
                        probe.matmulLayers() == 0
                                ? "the model has no Linear or Conv layer"
                                : types));
        if (variant.computesEverythingInComputeType()) {
            checks.add(new Check("every layer outputs " + compute, probe.allTypesOk(), types));
        }
    }

    private static String describeLayers(List<LayerOutput> layers) {
        StringBuilder text = new StringBuilder();
        for (LayerOutput layer : layers) {
            text.append(text.length() == 0 ? "" : ", ")
                    .append(layer.kind())
                    .append('=')
                    .append(layer.dataType());
        }
        return text.toString();
    }

    /**
     * Checks what reaches the loss. An output DJL cannot name is refused before any loss sees it: a
     * DJL loss would pass that type to native code, which aborts the JVM.
     */
    private static boolean checkOutput(
            NDArray output, PrecisionVariant variant, List<Check> checks) {
        boolean named = output.getDataType() != DataType.UNKNOWN;
        boolean ok = named && DataTypes.isOneOf(output, variant.outputTypes());
        String name = "outputs reach the loss as " + variant.outputTypes();
        checks.add(
                new Check(
                        name,
                        ok,
                        named
                                ? DataTypes.describe(output)
                                : DataTypes.describe(output)
                                        + ": DJL cannot name it, no loss computed"));
        return ok;
    }

    /**
     * Loss scaling: every step's scale follows GradScaler's rule from the initial scale; without
     * it, no step reports a scale or skips.
     */
    private static void checkLossScaling(
            PrecisionTrainer trainer, PrecisionVariant variant, Steps steps, List<Check> checks) {
        int skipped = steps.skippedCount();
        if (!variant.usesLossScaling()) {
            boolean noScale = true;
            for (int i = 0; i < steps.count(); i++) {
                noScale &= Float.isNaN(steps.scales[i]);
            }
            checks.add(
                    new Check(
                            "no loss scaling, no skipped step",
                            noScale && skipped == 0,
                            (noScale ? "no step reports a loss scale" : "steps report a loss scale")
                                    + ", "
                                    + skipped
                                    + " skipped"));
            return;
        }
        GradScalerConfig config = trainer.getPrecisionConfig().getGradScaler();
        ScalerState state = new ScalerState(config.getInitScale(), 0);
        String mismatch = null;
        for (int i = 0; i < steps.count() && mismatch == null; i++) {
            state = state.next(steps.skipped[i], config);
            if (state.scale() != steps.scales[i]) {
                mismatch =
                        "step "
                                + i
                                + " reports scale "
                                + steps.scales[i]
                                + ", GradScaler's rule gives "
                                + state.scale();
            }
        }
        checks.add(
                new Check(
                        "loss scale follows GradScaler's rule",
                        mismatch == null,
                        mismatch != null
                                ? mismatch
                                : "from "
                                        + config.getInitScale()
                                        + " to "
                                        + state.scale()
                                        + " over "
                                        + steps.count()
                                        + " steps"));
        checks.add(
                new Check(
                        "most steps apply",
                        skipped * 2 < steps.count(),
                        skipped + " of " + steps.count() + " steps skipped (inf/NaN gradients)"));
    }

    /**
     * Feeds one batch with an inf in it: the step must be skipped, the weights unchanged and the
     * scale backed off.
     */
    private static void checkOverflowIsSkipped(
            PrecisionTrainer trainer, Batch batch, List<Check> checks) {
        NDArray x = batch.getData().head();
        if (!x.getDataType().isFloating()) {
            return;
        }
        float[] before = weights(trainer.getModel().getBlock());
        float scale = trainer.getLastOutcome().orElseThrow().lossScale();
        long skippedBefore = trainer.getSkippedSteps();
        NDArray poisoned = x.duplicate();
        poisoned.set(new NDIndex(0), Float.POSITIVE_INFINITY);
        NDList data = new NDList(batch.getData());
        data.set(0, poisoned);
        trainStep(trainer, data, batch.getLabels(), checks, false);
        StepOutcome outcome = trainer.getLastOutcome().orElseThrow();
        float expectedScale =
                scale * trainer.getPrecisionConfig().getGradScaler().getBackoffFactor();
        boolean unchanged = Arrays.equals(before, weights(trainer.getModel().getBlock()));
        boolean ok =
                !outcome.applied()
                        && trainer.getSkippedSteps() == skippedBefore + 1
                        && outcome.lossScale() == expectedScale
                        && unchanged;
        checks.add(
                new Check(
                        "an inf input skips the step",
                        ok,
                        String.format(
                                "applied=%s, weights %s, scale %s -> %s (expected %s)",
                                outcome.applied(),
                                unchanged ? "unchanged" : "CHANGED",
                                scale,
                                outcome.lossScale(),
                                expectedScale)));
    }

    private static float[] weights(Block block) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (Parameter parameter : block.getParameters().values()) {
            try (NDArray wide = parameter.getArray().toType(DataType.FLOAT32, true)) {
                float[] values = wide.toFloatArray();
                parts.add(values);
                total += values.length;
            }
        }
        float[] all = new float[total];
        int offset = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return all;
    }

    /** Loss within tolerance, and memory in the ratio the data types imply. */
    private static void compareToReference(
            PrecisionVariant variant,
            CellMetrics metrics,
            ParameterBytes parameterBytes,
            Run reference,
            double tolerance,
            List<Check> checks) {
        if (reference == null) {
            return;
        }
        CellMetrics ref = reference.metrics();
        if (ref == null) {
            checks.add(
                    new Check(
                            "compared to 32-true",
                            false,
                            "the 32-true reference did not run: "
                                    + (reference.refusal() != null
                                            ? reference.refusal().getMessage()
                                            : String.valueOf(reference.error()))));
            return;
        }
        double delta = Math.abs(metrics.finalLoss() - ref.finalLoss());
        checks.add(
                new Check(
                        "final loss within " + tolerance + " of 32-true",
                        delta <= tolerance,
                        String.format(
                                "%.5f vs %.5f, |diff| %.5f",
                                metrics.finalLoss(), ref.finalLoss(), delta)));
        double activationRatio = (double) metrics.activationBytes() / ref.activationBytes();
        double full = variant.computeType().getNumOfBytes() / 4.0;
        boolean activationOk =
                variant.computesEverythingInComputeType() || full == 1.0
                        ? activationRatio == full
                        : activationRatio >= full && activationRatio < 1.0;
        checks.add(
                new Check(
                        "activation memory vs 32-true",
                        activationOk,
                        String.format(
                                "%.3f x (%d vs %d bytes; expected %s)",
                                activationRatio,
                                metrics.activationBytes(),
                                ref.activationBytes(),
                                variant.computesEverythingInComputeType() || full == 1.0
                                        ? "exactly " + full
                                        : "in [" + full + ", 1)")));
        double parameterRatio = (double) metrics.parameterBytes() / ref.parameterBytes();
        double expectedRatio = (double) parameterBytes.expectedBytes() / ref.parameterBytes();
        checks.add(
                new Check(
                        "parameter memory vs 32-true",
                        parameterRatio == expectedRatio,
                        String.format(
                                "%.3f x (%d vs %d bytes; the expected types give %.3f x)",
                                parameterRatio,
                                metrics.parameterBytes(),
                                ref.parameterBytes(),
                                expectedRatio)));
    }

    private static Eval evaluate(
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
                float value = scalar(loss.evaluate(batch.getLabels(), predictions));
                nanos.add(System.nanoTime() - start);
                sum += (double) value * batch.getSize();
                samples += batch.getSize();
                if (accuracy != null) {
                    accuracy.updateAccumulator(ACCUMULATOR, batch.getLabels(), predictions);
                }
            }
        }
        double acc = accuracy == null ? Double.NaN : accuracy.getAccumulator(ACCUMULATOR);
        return new Eval(
                sum / samples,
                acc,
                nanos.size(),
                median(nanos.stream().mapToLong(Long::longValue).toArray()) / 1e6);
    }
}

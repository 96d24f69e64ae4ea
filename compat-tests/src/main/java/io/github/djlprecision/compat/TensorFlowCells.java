package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.tensorflow.PrecisionNotInEffectException;
import io.github.djlprecision.tensorflow.TensorFlowLoadOptions;
import io.github.djlprecision.tensorflow.TensorFlowPrecisionReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Runs the cells of DJL's TensorFlow engine: inference of {@link TinySavedModel}, loaded through
 * DJL's {@code Criteria} with the precision plugin's load options, verified from the graph
 * TensorFlow executed, and compared with the {@code 32-true} cell and the float64 reference. Each
 * cell also checks that training in its precision is refused with the provider's designed reason.
 */
final class TensorFlowCells {

    /** DJL's name of the TensorFlow engine. */
    static final String ENGINE = "TensorFlow";

    /**
     * How far a 16-bit cell's outputs may lie from {@code 32-true}'s, relative to the largest
     * {@code 32-true} output: bfloat16 keeps 8 significand bits (2^-9 relative rounding), and two
     * layers round inputs, weights, biases and sums a handful of times.
     */
    static final double OUTPUT_TOLERANCE = 0.02;

    private static final int TIMED_RUNS = 5;

    private static Path savedModel;

    private final GradScalerConfig gradScaler;
    private final String pluginName;
    private final Map<Device, float[]> referenceOutputs = new ConcurrentHashMap<>();

    TensorFlowCells(GradScalerConfig gradScaler, String pluginName) {
        this.gradScaler = gradScaler;
        this.pluginName = pluginName;
    }

    /**
     * Builds the CPU plugin of every precision before anything loads TensorFlow in this JVM: {@code
     * build()} sets the process switches ({@code TF_ENABLE_ONEDNN_OPTS}) that TensorFlow reads
     * once, when it loads, so every cell's plugin later finds the process it was built for. Does
     * nothing when TensorFlow is not on the class path.
     */
    static void prepareProcess() {
        if (!Engine.getAllEngines().contains(ENGINE)) {
            return;
        }
        for (PrecisionVariant variant : PrecisionVariant.all()) {
            try {
                TensorFlowLoadOptions.of(
                        variant.config(GradScalerConfig.defaults(), null), Device.cpu());
            } catch (UnsupportedPrecisionException e) {
                // a refused request sets nothing; its cell reports the refusal
            }
        }
    }

    /**
     * Runs one cell.
     *
     * @param cell a TensorFlow cell
     * @param referenceRun gives the {@code 32-true} run on the same device; null for the reference
     */
    CellRun infer(MatrixCell cell, Supplier<CellRun> referenceRun) {
        PrecisionConfig config = cell.variant().config(gradScaler, pluginName);
        List<Check> checks = new ArrayList<>();
        checks.add(trainingRefused(cell, config));
        if (!checks.get(0).passed()) {
            return CellRun.failed(
                    new IllegalStateException(checks.get(0).detail()),
                    CellMode.INFERENCE,
                    null,
                    checks);
        }
        TensorFlowLoadOptions precision;
        try {
            precision = TensorFlowLoadOptions.of(config, cell.device());
        } catch (UnsupportedPrecisionException e) {
            return new CellRun(e.getMessage(), null, null, null, checks, null, 0);
        }
        try {
            return run(cell, precision, referenceRun, checks);
        } catch (IOException
                | ModelNotFoundException
                | MalformedModelException
                | TranslateException
                | RuntimeException e) {
            return CellRun.failed(e, CellMode.INFERENCE, precision.getPath(), checks);
        }
    }

    private CellRun run(
            MatrixCell cell,
            TensorFlowLoadOptions plugin,
            Supplier<CellRun> referenceRun,
            List<Check> checks)
            throws IOException,
                    ModelNotFoundException,
                    MalformedModelException,
                    TranslateException {
        Precision precision = cell.variant().precision();
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(savedModel())
                        .optEngine(ENGINE)
                        .optDevice(cell.device())
                        .optOptions(plugin.getLoadOptions())
                        .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = model.getNDManager().newSubManager()) {
            TensorFlowPrecisionReport report;
            try {
                report = plugin.verify(model);
            } catch (PrecisionNotInEffectException e) {
                report = e.getReport();
            }
            checks.add(
                    new Check(
                            "verify(): " + precision + " in effect",
                            report.isAsRequested(),
                            report.isAsRequested()
                                    ? report.toString()
                                    : String.join(" ", report.getProblems())));
            NDList input =
                    new NDList(manager.create(TinySavedModel.input(), TinySavedModel.inputShape()));
            long[] nanos = new long[TIMED_RUNS];
            NDArray y = null;
            for (int i = 0; i < TIMED_RUNS; i++) {
                long start = System.nanoTime();
                y = predictor.predict(input).head();
                nanos[i] = System.nanoTime() - start;
            }
            checks.add(
                    new Check(
                            "outputs are float32 in DJL",
                            y.getDataType() == DataType.FLOAT32,
                            y.getDataType() + ": 16-bit types stay inside the TensorFlow graph"));
            float[] out = y.toFloatArray();
            double[] exact = TinySavedModel.reference();
            if (precision == Precision.FLOAT_TRUE) {
                checks.add(matchesFloat64(out, exact));
            } else if (precision.isBfloat16()) {
                checks.add(bf16Exact(out));
            }
            CellRun reference = referenceRun == null ? null : referenceRun.get();
            if (reference == null) {
                referenceOutputs.put(cell.device(), out);
            } else {
                checks.add(closeToReference(out, referenceOutputs.get(cell.device())));
            }
            double error = meanSquaredError(out, exact);
            Arrays.sort(nanos);
            CellMetrics metrics =
                    new CellMetrics(
                            error,
                            error,
                            reference == null || reference.metrics() == null
                                    ? error
                                    : reference.metrics().finalLoss(),
                            Double.NaN,
                            Double.NaN,
                            Double.NaN,
                            0,
                            Double.NaN,
                            nanos[TIMED_RUNS / 2] / 1e6,
                            // the mixed rewrite keeps the graph's constants in float32
                            TinySavedModel.parameterCount() * Float.BYTES,
                            0,
                            new float[0],
                            new float[0],
                            new boolean[0],
                            List.of());
            return new CellRun(
                    null, null, CellMode.INFERENCE, plugin.getPath(), checks, metrics, 0);
        }
    }

    private static Check trainingRefused(MatrixCell cell, PrecisionConfig config) {
        String precision = cell.variant().precision().toString();
        try {
            PrecisionPlugin plugin =
                    PrecisionPlugins.create(
                            new PluginRequest(
                                    ENGINE, cell.device(), config, PluginRequest.Purpose.TRAINING));
            String path = plugin.getPath();
            plugin.close();
            return new Check("training refused", false, "a training plugin was created: " + path);
        } catch (UnsupportedPrecisionException e) {
            String message = e.getMessage();
            boolean designed =
                    message.startsWith(
                                    "Cannot train in '" + precision + "' on the TensorFlow engine")
                            && message.contains("inference-only");
            return new Check("training refused", designed, message);
        }
    }

    private static Check bf16Exact(float[] out) {
        int inexact = 0;
        int nonzero = 0;
        for (float v : out) {
            inexact += DataTypes.isBfloat16Exact(v) ? 0 : 1;
            nonzero += v != 0f ? 1 : 0;
        }
        return new Check(
                "outputs bf16-exact",
                inexact == 0 && nonzero > 0,
                String.format(
                        "%d of %d outputs have bits below bfloat16's significand; %d nonzero",
                        inexact, out.length, nonzero));
    }

    /** fp32 really ran: outputs match float64 closely and are not bfloat16-rounded. */
    private static Check matchesFloat64(float[] out, double[] exact) {
        double worst = 0;
        int rounded = 0;
        int nonzero = 0;
        for (int i = 0; i < out.length; i++) {
            worst = Math.max(worst, Math.abs(out[i] - exact[i]) / (1 + Math.abs(exact[i])));
            if (out[i] != 0f) {
                nonzero++;
                rounded += DataTypes.isBfloat16Exact(out[i]) ? 1 : 0;
            }
        }
        return new Check(
                "outputs match float64 within 1e-5 (1 + |y|)",
                worst <= 1e-5 && nonzero > 0 && rounded < nonzero,
                String.format(
                        "worst relative error %.2e; %d of %d nonzero outputs bf16-exact",
                        worst, rounded, nonzero));
    }

    private static Check closeToReference(float[] out, float[] reference) {
        double largest = 0;
        double worst = 0;
        for (int i = 0; i < out.length; i++) {
            largest = Math.max(largest, Math.abs(reference[i]));
            worst = Math.max(worst, Math.abs(out[i] - reference[i]));
        }
        double bound = OUTPUT_TOLERANCE * Math.max(1, largest);
        return new Check(
                "outputs within " + OUTPUT_TOLERANCE + " x max|y| of 32-true",
                worst <= bound,
                String.format("max |diff| %.5f, bound %.5f (max|y| %.3f)", worst, bound, largest));
    }

    /** Widened to float32, a bfloat16 value has its low 16 bits zero. */
    private static double meanSquaredError(float[] out, double[] exact) {
        double sum = 0;
        for (int i = 0; i < out.length; i++) {
            sum += (out[i] - exact[i]) * (out[i] - exact[i]);
        }
        return sum / out.length;
    }

    /** The SavedModel every TensorFlow cell loads, exported once per JVM into a temp folder. */
    private static synchronized Path savedModel() throws IOException {
        if (savedModel == null) {
            Path dir = Files.createTempDirectory("compat-tensorflow");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
            savedModel = TinySavedModel.export(dir.resolve("mlp"));
        }
        return savedModel;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless; the JVM is exiting
        }
    }
}

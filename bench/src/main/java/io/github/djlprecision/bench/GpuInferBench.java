package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One GPU inference configuration per process, for {@code bench/device/gpu-bench.py}: a model
 * ({@link GpuModels}) and an inference path ({@link InferPaths}), through DJL's {@code Predictor}
 * at each batch size. Each call is timed alone, from {@code predict} until its fp32 output is on
 * the host ({@link HostArrayTranslator}); reported are the median, p99 and mean latency and the
 * throughput (batch / mean). Before the path is applied, the plain fp32 model computes reference
 * outputs on fixed inputs; the path's largest absolute difference from them is reported too. Prints
 * one {@code RESULT} line ({@link ResultLine}); exits 0 or 1.
 *
 * <pre>
 * bash .device/run.sh io.github.djlprecision.bench.GpuInferBench --model resnet50 --path 16-mixed \
 *     [--batches 1,8,128] [--iters N] [--warmup 10] [--device cpu --tiny]
 * </pre>
 */
@Command(
        name = "GpuInferBench",
        mixinStandardHelpOptions = true,
        description = "Times one inference path at several batch sizes and prints a RESULT line.")
public final class GpuInferBench {

    @Option(names = "--model", required = true, description = "resnet50, bert or mlp")
    private String model;

    @Option(names = "--path", required = true, description = "fp32, 16-mixed or bf16-mixed")
    private String path;

    @Option(
            names = "--batches",
            split = ",",
            defaultValue = "1,8,128",
            description = "batch sizes (default: ${DEFAULT-VALUE})")
    private List<Integer> batches;

    @Option(
            names = "--iters",
            description =
                    "timed calls per batch size (default: 200 at batch 1, 100 up to 8, else 30)")
    private Integer iters;

    @Option(names = "--warmup", defaultValue = "10", description = "untimed calls per batch size")
    private int warmup;

    @Option(names = "--device", defaultValue = "gpu", description = "gpu or cpu")
    private String device;

    @Option(names = "--tiny", description = "tiny model sizes, for smoke runs on a CPU")
    private boolean tiny;

    private GpuInferBench() {}

    /**
     * Runs one configuration; see the class comment.
     *
     * @param args the options
     */
    public static void main(String[] args) {
        BenchCommand.exit(run(args));
    }

    /**
     * Runs one configuration and prints its RESULT line.
     *
     * @param args the options
     * @return the result, or null when only help or the version was printed
     */
    static ResultLine run(String... args) {
        GpuInferBench bench = new GpuInferBench();
        return BenchCommand.run("infer", bench, bench::describe, bench::measure, args);
    }

    /** Adds the fields that name this configuration on the RESULT line. */
    private void describe(Map<String, Object> configuration) {
        configuration.put("model", model);
        configuration.put("side", "djl");
        configuration.put("path", path);
    }

    private void measure(ResultLine result) throws TranslateException {
        BenchModel bench = GpuModels.of(model, tiny);
        InferPaths.InferPath inferPath = InferPaths.of(path);
        Device where = BenchDevices.parse(device);
        if (batches.isEmpty() || batches.stream().anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException(
                    "--batches must list sizes of at least 1: " + batches);
        }
        if ((iters != null && iters < 1) || warmup < 0) {
            throw new IllegalArgumentException(
                    "--iters must be at least 1 and --warmup at least 0, got "
                            + iters
                            + ", "
                            + warmup);
        }
        result.put("describe", bench.describe());
        BenchEnvironment.start(result, where);
        try (Model m = Model.newInstance("bench-" + bench.name(), where, "PyTorch")) {
            m.setBlock(bench.newBlock());
            m.getBlock()
                    .initialize(
                            m.getNDManager(), DataType.FLOAT32, bench.inputShapes(batches.get(0)));
            List<NDList> inputs = new ArrayList<>();
            List<float[]> reference = new ArrayList<>();
            try (Predictor<NDList, float[]> fp32 = m.newPredictor(new HostArrayTranslator())) {
                for (int b : batches) {
                    NDList input = bench.inputs(m.getNDManager(), b);
                    inputs.add(input);
                    reference.add(fp32.predict(input));
                }
            }
            result.put("path_detail", inferPath.prepare().apply(m));
            List<Map<String, Object>> rows = new ArrayList<>();
            try (Predictor<NDList, float[]> predictor = m.newPredictor(new HostArrayTranslator())) {
                for (int i = 0; i < batches.size(); i++) {
                    rows.add(
                            measureBatch(
                                    predictor, batches.get(i), inputs.get(i), reference.get(i)));
                }
            }
            result.put("batches", rows);
        }
    }

    private Map<String, Object> measureBatch(
            Predictor<NDList, float[]> predictor, int batch, NDList input, float[] reference)
            throws TranslateException {
        float[] output = predictor.predict(input);
        double maxDiff = 0;
        double maxRef = 0;
        for (int j = 0; j < reference.length; j++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) output[j] - reference[j]));
            maxRef = Math.max(maxRef, Math.abs(reference[j]));
        }
        for (int j = 0; j < warmup; j++) {
            predictor.predict(input);
        }
        int n = iters != null ? iters : batch <= 1 ? 200 : batch <= 8 ? 100 : 30;
        double[] millis = new double[n];
        for (int j = 0; j < n; j++) {
            long start = System.nanoTime();
            predictor.predict(input);
            millis[j] = (System.nanoTime() - start) / 1e6;
        }
        Latencies latencies = new Latencies(millis);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("batch", batch);
        row.put("iters", n);
        row.put("median_ms", latencies.percentile(50));
        row.put("p99_ms", latencies.percentile(99));
        row.put("mean_ms", latencies.mean());
        row.put("samples_per_s", batch * 1000.0 / latencies.mean());
        row.put("max_abs_diff", maxDiff);
        row.put("max_abs_ref", maxRef);
        return row;
    }
}

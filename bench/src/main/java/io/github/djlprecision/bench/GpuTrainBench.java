package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.PrecisionConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One GPU training configuration per process, for {@code bench/device/gpu-bench.py}: a model
 * ({@link GpuModels}), a side ({@link TrainSide}) and a precision. Data are made on the device
 * once; {@code --warmup} steps run first, then {@code --steps} timed steps, each as {@code
 * EasyTrain.trainBatch} runs one; the timed region ends by reading the last loss to the host, which
 * waits for the device. Prints one {@code RESULT} line ({@link ResultLine}) with ms/step and
 * samples/s, or FAILED with the error; exits 0 or 1. Peak device memory is sampled by the driver,
 * from outside, the same way for every side.
 *
 * <pre>
 * bash .device/run.sh io.github.djlprecision.bench.GpuTrainBench --model resnet50 --side library \
 *     --precision 16-mixed [--amp-level O2] [--steps 30] [--warmup 5] [--batch N] [--device cpu --tiny]
 * </pre>
 */
@Command(
        name = "GpuTrainBench",
        mixinStandardHelpOptions = true,
        description = "Times one training configuration and prints a RESULT line.")
public final class GpuTrainBench {

    @Option(names = "--model", required = true, description = "mlp, resnet50 or bert")
    private String model;

    @Option(names = "--side", required = true, description = "library, plain or plain-autocast")
    private String side;

    @Option(
            names = "--precision",
            defaultValue = "32-true",
            description = "Lightning's precision value (default: ${DEFAULT-VALUE})")
    private String precision;

    @Option(names = "--amp-level", description = "Apex level for side library, e.g. O2")
    private String ampLevel;

    @Option(names = "--steps", defaultValue = "30", description = "timed steps")
    private int steps;

    @Option(names = "--warmup", defaultValue = "5", description = "untimed steps first")
    private int warmup;

    @Option(names = "--batch", description = "batch size (default: the model's)")
    private Integer batch;

    @Option(names = "--device", defaultValue = "gpu", description = "gpu or cpu")
    private String device;

    @Option(names = "--tiny", description = "tiny model sizes, for smoke runs on a CPU")
    private boolean tiny;

    private GpuTrainBench() {}

    /**
     * Runs one configuration; see the class comment.
     *
     * @param args the options
     */
    public static void main(String[] args) {
        ResultLine result = run(args);
        System.exit(result == null || result.ok() ? 0 : 1);
    }

    /**
     * Runs one configuration and prints its RESULT line.
     *
     * @param args the options
     * @return the result, or null when only help or the version was printed
     */
    static ResultLine run(String... args) {
        GpuTrainBench bench = new GpuTrainBench();
        CommandLine cli = new CommandLine(bench);
        Map<String, Object> configuration = new LinkedHashMap<>();
        configuration.put("suite", "train");
        try {
            if (CommandLine.printHelpIfRequested(cli.parseArgs(args))) {
                return null;
            }
        } catch (CommandLine.ParameterException e) {
            ResultLine bad = new ResultLine(configuration);
            bad.fail(e);
            bad.print();
            return bad;
        }
        configuration.put("model", bench.model);
        configuration.put("side", bench.side);
        configuration.put("precision", bench.precision);
        if (bench.ampLevel != null) {
            configuration.put("amp_level", bench.ampLevel);
        }
        ResultLine result = new ResultLine(configuration);
        try {
            bench.measure(result);
        } catch (Exception | Error e) {
            result.fail(e);
        }
        result.print();
        return result;
    }

    private void measure(ResultLine result) {
        // everything the options can get wrong is checked before the engine loads
        BenchModel bench = GpuModels.of(model, tiny);
        TrainSide how = TrainSide.of(side);
        PrecisionConfig.Builder builder = PrecisionConfig.builder().optPrecision(precision);
        if (ampLevel != null) {
            builder.optAmpLevel(ampLevel);
        }
        PrecisionConfig precisionConfig = builder.build();
        how.check(precisionConfig);
        Device where = BenchDevices.parse(device);
        if (steps < 1 || warmup < 1) {
            throw new IllegalArgumentException(
                    "--steps and --warmup must be at least 1, got " + steps + " and " + warmup);
        }
        int batchSize = batch == null ? bench.defaultBatch() : batch;
        result.put("batch", batchSize).put("steps", steps).put("warmup", warmup);
        result.put("describe", bench.describe());
        BenchEnvironment.start(result, where);
        try (TrainSession session =
                TrainSession.open(bench, batchSize, where, how, precisionConfig)) {
            NDList inputs = bench.inputs(session.manager(), batchSize);
            NDArray labels = bench.labels(session.manager(), batchSize);
            result.put("warmup_loss", run(session, inputs, labels, warmup));
            long start = System.nanoTime();
            float loss = run(session, inputs, labels, steps);
            double ms = (System.nanoTime() - start) / 1e6 / steps;
            result.put("ms_per_step", ms);
            result.put("samples_per_s", batchSize * 1000.0 / ms);
            result.put("final_loss", loss);
            session.facts().forEach(result::put);
        }
    }

    /**
     * Runs steps; the last one's loss is read to the host, which waits for the device.
     *
     * @return the last step's loss
     */
    private static float run(TrainSession session, NDList inputs, NDArray labels, int count) {
        for (int i = 0; i < count - 1; i++) {
            session.step(inputs, labels, false);
        }
        try (NDArray loss = session.step(inputs, labels, true)) {
            return loss.toType(DataType.FLOAT32, false).toFloatArray()[0];
        }
    }
}

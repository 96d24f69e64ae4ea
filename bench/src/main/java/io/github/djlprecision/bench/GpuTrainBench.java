package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.ChannelsLast;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.distributed.LaunchEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One GPU training configuration per process, for {@code bench/device/gpu-bench.py}: a model
 * ({@link GpuModels}), a side ({@link TrainSide}), a precision and a number of GPUs. Data are made
 * on the first device once and split over the devices once; {@code --warmup} steps run first, then
 * {@code --steps} timed steps, each as {@code EasyTrain.trainBatch} runs one; the timed region ends
 * by reading the last loss to the host, which waits for the devices. With {@code --losses} every
 * step's loss (the first device's slice) is kept on the device and read after the timed region,
 * for comparing trajectories. Prints one {@code RESULT} line ({@link ResultLine}) with ms/step and
 * samples/s, or FAILED with the error; exits 0 or 1. Peak device memory is sampled by the driver,
 * from outside, the same way for every side.
 *
 * <pre>
 * bash .device/run.sh io.github.djlprecision.bench.GpuTrainBench --model resnet50 --side library \
 *     --precision 16-mixed [--amp-level O2] [--channels-last never] [--steps 30] [--warmup 5] [--batch N] [--gpus 2]
 *     [--losses] [--seed 42] [--device cpu --tiny]
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

    @Option(
            names = "--channels-last",
            description = "side library: auto (default: on CUDA in 16-bit precisions), always or never")
    private String channelsLast;

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

    @Option(
            names = "--gpus",
            defaultValue = "1",
            description = "GPUs to train on, the batch split over them (sides library and plain)")
    private int gpus;

    @Option(names = "--losses", description = "report every step's loss, read after timing")
    private boolean losses;

    @Option(names = "--seed", description = "engine random seed (weights and data)")
    private Integer seed;

    private GpuTrainBench() {}

    private static ChannelsLast channelsLast(String value) {
        for (ChannelsLast format : ChannelsLast.values()) {
            if (format.name().equalsIgnoreCase(value)) {
                return format;
            }
        }
        throw new IllegalArgumentException(
                "--channels-last " + value + ": accepted values are auto, always and never");
    }

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
        GpuTrainBench bench = new GpuTrainBench();
        return BenchCommand.run("train", bench, bench::describe, bench::measure, args);
    }

    /** Adds the fields that name this configuration on the RESULT line. */
    private void describe(Map<String, Object> configuration) {
        configuration.put("model", model);
        configuration.put("side", side);
        configuration.put("precision", precision);
        if (gpus != 1) {
            configuration.put("gpus", gpus);
        }
        if (ampLevel != null) {
            configuration.put("amp_level", ampLevel);
        }
        if (channelsLast != null) {
            configuration.put("channels_last", channelsLast);
        }
    }

    private void measure(ResultLine result) {
        // everything the options can get wrong is checked before the engine loads
        BenchModel bench = GpuModels.of(model, tiny);
        TrainSide how = TrainSide.of(side);
        if (gpus > 1 && how == TrainSide.PLAIN_AUTOCAST) {
            throw new IllegalArgumentException(
                    "--gpus " + gpus + ": side plain-autocast trains on one device only");
        }
        PrecisionConfig.Builder builder = PrecisionConfig.builder().optPrecision(precision);
        if (ampLevel != null) {
            builder.optAmpLevel(ampLevel);
        }
        if (channelsLast != null) {
            if (how != TrainSide.LIBRARY && how != TrainSide.LIBRARY_UNFUSED) {
                throw new IllegalArgumentException(
                        "--channels-last applies to sides library and library-unfused, not " + side);
            }
            builder.optChannelsLast(channelsLast(channelsLast));
        }
        PrecisionConfig precisionConfig = builder.build();
        how.check(precisionConfig);
        Device[] where = devices();
        if (steps < 1 || warmup < 1) {
            throw new IllegalArgumentException(
                    "--steps and --warmup must be at least 1, got " + steps + " and " + warmup);
        }
        int batchSize = batch == null ? bench.defaultBatch() : batch;
        if (batchSize % where.length != 0) {
            throw new IllegalArgumentException(
                    "--batch " + batchSize + " does not split evenly over " + where.length + " GPUs");
        }
        result.put("batch", batchSize).put("steps", steps).put("warmup", warmup);
        result.put("describe", bench.describe());
        BenchEnvironment.start(result, where[0]);
        if (seed != null) {
            // in a process group each rank draws its own weights (rank 0's are broadcast) and data
            int rank =
                    how == TrainSide.LIBRARY_PROCESS_GROUP
                            ? LaunchEnvironment.fromEnvironment().rank()
                            : 0;
            Engine.getInstance().setRandomSeed(seed + rank);
        }
        try (TrainSession session = TrainSession.open(bench, batchSize, where, how, precisionConfig)) {
            NDManager manager = session.manager();
            List<NDList> slices =
                    session.slices(bench.inputs(manager, batchSize), bench.labels(manager, batchSize));
            List<NDList> trajectory = losses ? new ArrayList<>() : null;
            result.put("warmup_loss", run(session, slices, warmup, trajectory));
            long start = System.nanoTime();
            float loss = run(session, slices, steps, trajectory);
            double ms = (System.nanoTime() - start) / 1e6 / steps;
            result.put("ms_per_step", ms);
            result.put("samples_per_s", batchSize * 1000.0 / ms);
            result.put("final_loss", loss);
            if (trajectory != null) {
                List<Float> read = new ArrayList<>();
                for (NDList step : trajectory) {
                    read.add(mean(step));
                    step.close();
                }
                result.put("losses", read);
            }
            session.facts().forEach(result::put);
        }
    }

    private Device[] devices() {
        Device first = BenchDevices.parse(device);
        if (gpus < 1 || (gpus > 1 && !first.isGpu())) {
            throw new IllegalArgumentException(
                    "--gpus must be 1, or more with --device gpu; got " + gpus + " on " + device);
        }
        if (gpus > 1 && Engine.getInstance().getGpuCount() < gpus) {
            throw new IllegalArgumentException(
                    "--gpus " + gpus + " but the engine sees " + Engine.getInstance().getGpuCount());
        }
        Device[] devices = new Device[gpus];
        for (int i = 0; i < gpus; i++) {
            devices[i] = first.isGpu() ? Device.gpu(i) : first;
        }
        return devices;
    }

    /**
     * Runs steps; the last one's loss is read to the host, which waits for the devices.
     *
     * @param trajectory where to keep every step's per-device losses, or null
     * @return the last step's loss, the mean over the devices' equal slices
     */
    private static float run(
            TrainSession session, List<NDList> slices, int count, List<NDList> trajectory) {
        for (int i = 0; i < count - 1; i++) {
            NDList losses = session.step(slices, trajectory != null);
            if (trajectory != null) {
                trajectory.add(losses);
            }
        }
        NDList last = session.step(slices, true);
        float value = mean(last);
        if (trajectory != null) {
            trajectory.add(last);
        } else {
            last.close();
        }
        return value;
    }

    /** Reads per-device losses to the host and averages them. */
    private static float mean(NDList losses) {
        float sum = 0;
        for (NDArray loss : losses) {
            sum += loss.toType(DataType.FLOAT32, false).toFloatArray()[0];
        }
        return sum / losses.size();
    }
}

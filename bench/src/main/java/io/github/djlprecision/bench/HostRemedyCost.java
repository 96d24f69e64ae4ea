package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.pytorch.HostFacts;
import io.github.djlprecision.pytorch.HostRemedy;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What the host remedy costs on the CPU: a small convolutional net's training step (3 convolutions
 * with batch norm, batch 32 of 3x32x32) with LibTorch's oneDNN and NNPACK as they are ({@code
 * hostRemedy=off}) and switched off ({@code hostRemedy=on}), each in its own JVM since the switches
 * are process-wide, printed side by side with their ratio.
 *
 * <p>Run: {@code java -cp <bench class path> io.github.djlprecision.bench.HostRemedyCost [steps]}.
 */
public final class HostRemedyCost {

    private static final List<String> PRECISIONS = List.of("32-true", "bf16-mixed", "16-mixed");

    private HostRemedyCost() {}

    /**
     * Runs both sides and prints the table; with {@code --side} measures one side in this JVM.
     *
     * @param args {@code [steps]}, or {@code --side steps} for a child
     * @throws Exception if a child cannot run
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--side")) {
            measure(Integer.parseInt(args[1]));
            return;
        }
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        System.out.println("# host remedy cost: median training step, ms; " + HostFacts.read().describe());
        List<String> off = side("off", steps);
        List<String> on = side("on", steps);
        System.out.println("| precision | oneDNN on (remedy off) | oneDNN and NNPACK off (remedy on) | on / off |");
        System.out.println("|---|---:|---:|---:|");
        for (int i = 0; i < PRECISIONS.size(); i++) {
            double a = Double.parseDouble(off.get(i));
            double b = Double.parseDouble(on.get(i));
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2fx |%n", PRECISIONS.get(i), a, b, b / a);
        }
    }

    private static List<String> side(String remedy, int steps) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process =
                new ProcessBuilder(
                                java,
                                "-cp",
                                System.getProperty("java.class.path"),
                                "-D" + HostRemedy.PROPERTY + "=" + remedy,
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                                HostRemedyCost.class.getName(),
                                "--side",
                                Integer.toString(steps))
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(600, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("side " + remedy + " failed: " + output);
        }
        String line = output.lines().filter(l -> l.startsWith("MS ")).findFirst().orElseThrow();
        return Arrays.asList(line.substring(3).split(" "));
    }

    private static void measure(int steps) {
        StringBuilder line = new StringBuilder("MS");
        for (String precision : PRECISIONS) {
            line.append(' ').append(String.format(Locale.ROOT, "%.3f", medianStepMs(precision, steps)));
        }
        System.out.println(line);
    }

    private static double medianStepMs(String precision, int steps) {
        Engine.getEngine("PyTorch").setRandomSeed(1);
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build())
                        .optDevices(new Device[] {Device.cpu()});
        try (Model model = Model.newInstance("conv", Device.cpu(), "PyTorch")) {
            model.setBlock(
                    new SequentialBlock()
                            .add(conv(32, 1))
                            .add(BatchNorm.builder().build())
                            .add(Activation::relu)
                            .add(conv(64, 2))
                            .add(BatchNorm.builder().build())
                            .add(Activation::relu)
                            .add(conv(64, 2))
                            .add(BatchNorm.builder().build())
                            .add(Activation::relu)
                            .add(Blocks.batchFlattenBlock())
                            .add(Linear.builder().setUnits(10).build()));
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of(precision))) {
                Shape shape = new Shape(32, 3, 32, 32);
                trainer.initialize(shape);
                NDArray x = trainer.getManager().randomNormal(shape);
                NDArray labels = trainer.getManager().zeros(new Shape(32), DataType.INT64);
                List<Double> times = new ArrayList<>();
                for (int i = 0; i < steps + 3; i++) {
                    long start = System.nanoTime();
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDArray logits = trainer.forward(new NDList(x)).head().toType(DataType.FLOAT32, false);
                        collector.backward(trainer.getLoss().evaluate(new NDList(labels), new NDList(logits)));
                    }
                    trainer.step();
                    if (i >= 3) {
                        times.add((System.nanoTime() - start) / 1e6);
                    }
                }
                times.sort(null);
                return times.get(times.size() / 2);
            }
        }
    }

    private static Conv2d conv(int filters, int stride) {
        return Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1))
                .optStride(new Shape(stride, stride))
                .setFilters(filters)
                .build();
    }
}

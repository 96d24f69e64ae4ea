package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.Arrays;

/**
 * Child-JVM entry that trains one step of each {@link BuiltInBlocks} case in a precision: forward,
 * softmax cross-entropy on the fp32 outputs, backward, optimizer step. Prints {@code START name}
 * before a case (so that an abort names it), then {@code OK name | path} or {@code ERROR name:
 * message}, and {@code DONE} at the end. Arguments: the precision, then group names. The system
 * property {@code probe.device} (e.g. {@code gpu0}) runs it on another device than the CPU.
 */
public final class ArchitectureProbe {

    private ArchitectureProbe() {}

    /**
     * Runs the cases.
     *
     * @param args the precision, then {@link BuiltInBlocks#of} group names
     */
    public static void main(String[] args) {
        PrecisionConfig precision = PrecisionConfig.of(args[0]);
        String[] groups = Arrays.copyOfRange(args, 1, args.length);
        for (BuiltInBlocks.Case c : BuiltInBlocks.of(groups)) {
            System.out.println("START " + c.name());
            System.out.flush();
            try {
                System.out.println("OK " + c.name() + " | " + trainStep(c, precision));
            } catch (RuntimeException e) {
                System.out.println("ERROR " + c.name() + ": " + e);
            }
            System.out.flush();
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    /** One training step; returns the plugin's path. */
    private static String trainStep(BuiltInBlocks.Case c, PrecisionConfig precision) {
        Engine.getEngine("PyTorch").setRandomSeed(1);
        Device device = Device.fromName(System.getProperty("probe.device", "cpu"));
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(
                                Optimizer.sgd()
                                        .setLearningRateTracker(Tracker.fixed(0.01f))
                                        .build())
                        .optDevices(new Device[] {device});
        try (Model model = Model.newInstance(c.name(), device, "PyTorch")) {
            model.setBlock(c.block().get());
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                NDList data = c.data().apply(trainer.getManager());
                trainer.initialize(data.getShapes());
                boolean trained;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList out = trainer.forward(data);
                    NDArray logits = out.head().reshape(BuiltInBlocks.BATCH, -1);
                    if (logits.getDataType() != DataType.FLOAT32
                            && logits.getDataType() != DataType.FLOAT64) {
                        throw new IllegalStateException("output is " + logits.getDataType());
                    }
                    NDArray labels =
                            trainer.getManager()
                                    .zeros(new Shape(BuiltInBlocks.BATCH), DataType.INT64);
                    NDArray loss =
                            trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
                    if (!Float.isFinite(loss.toType(DataType.FLOAT32, false).getFloat())) {
                        throw new IllegalStateException("loss is " + loss);
                    }
                    trained = c.trainable();
                    if (trained) {
                        collector.backward(loss);
                    }
                }
                if (trained) {
                    trainer.step();
                }
                return trainer.getPlugin().getPath()
                        + (trained ? "" : " (forward only: no gradient)");
            }
        }
    }
}

package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The models and the training step the CPU benchmarks share. */
final class Models {

    private Models() {}

    /**
     * An MLP classifier and the batch it trains on.
     *
     * @param name short name for reports
     * @param inputs input features
     * @param hidden widths of the hidden Linear+ReLU layers
     * @param classes output classes
     * @param batch batch size
     */
    record Mlp(String name, int inputs, int[] hidden, int classes, int batch) {

        String describe() {
            boolean uniform = Arrays.stream(hidden).allMatch(w -> w == hidden[0]);
            String layers =
                    hidden.length > 3 && uniform
                            ? "[" + hidden[0] + " x " + hidden.length + "]"
                            : Arrays.stream(hidden)
                                    .mapToObj(Integer::toString)
                                    .collect(Collectors.joining("-"));
            return "MLP " + inputs + "-" + layers + "-" + classes + ", batch " + batch;
        }

        /** A new model on the CPU, seeded so that every instance starts from the same weights. */
        Model newModel() {
            Engine.getEngine("PyTorch").setRandomSeed(42);
            SequentialBlock block = new SequentialBlock();
            for (int width : hidden) {
                block.add(Linear.builder().setUnits(width).build()).add(Activation.reluBlock());
            }
            block.add(Linear.builder().setUnits(classes).build());
            Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
            model.setBlock(block);
            return model;
        }

        Shape inputShape() {
            return new Shape(batch, inputs);
        }

        /** A random batch and labels, made in the given manager. */
        NDList batch(NDManager manager) {
            NDArray x = manager.randomNormal(inputShape());
            NDArray y = manager.arange(batch).toType(DataType.FLOAT32, false).mod(classes);
            return new NDList(x, y);
        }
    }

    /** Adam, with an epsilon fp16 holds, so that {@code 16-true} measures too (1e-8 is 0 there). */
    static DefaultTrainingConfig adamConfig() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(
                        Optimizer.adam()
                                .optLearningRateTracker(Tracker.fixed(1e-4f))
                                .optEpsilon(1e-4f)
                                .build())
                .optDevices(new Device[] {Device.cpu()});
    }

    /**
     * One training step the way {@code EasyTrain.trainBatch} does it: the batch's intermediate
     * arrays live in a sub-manager that closes after the step, so memory stays flat over many
     * steps.
     */
    static void trainStep(Trainer trainer, NDList batch) {
        try (NDManager step = trainer.getManager().newSubManager()) {
            step.tempAttachAll(batch);
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(batch.get(0)));
                NDArray loss = trainer.getLoss().evaluate(new NDList(batch.get(1)), out);
                collector.backward(loss);
            }
            trainer.step();
        }
    }
}

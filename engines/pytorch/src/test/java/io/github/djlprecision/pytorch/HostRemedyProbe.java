package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.training.PrecisionTrainer;

/**
 * Child-JVM entry for the host remedy: for each argument, one training step of a small
 * convolutional net in that precision ({@code OK precision | path}), or with {@code inference} a
 * forward through {@link PrecisionBlock} ({@code OK inference | path}); then LibTorch's switches as
 * {@code mkldnn=B nnpack=B}.
 */
public final class HostRemedyProbe {

    private HostRemedyProbe() {}

    /**
     * Runs the cases.
     *
     * @param args precisions, or {@code inference}
     */
    public static void main(String[] args) {
        for (String arg : args) {
            String path = arg.equals("inference") ? infer() : trainStep(PrecisionConfig.of(arg));
            System.out.println("OK " + arg + " | " + path);
        }
        LibTorchBackends backends = LibTorchBackends.load();
        System.out.println(
                "mkldnn=" + backends.isMkldnnEnabled() + " nnpack=" + backends.isNnpackEnabled());
        System.out.flush();
        System.exit(0);
    }

    static SequentialBlock convNet() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(8).optStride(new Shape(2, 2)).build())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(10).build());
    }

    private static String trainStep(PrecisionConfig precision) {
        Engine.getEngine("PyTorch").setRandomSeed(1);
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(
                                Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build())
                        .optDevices(new Device[] {Device.cpu()});
        try (Model model = Model.newInstance("conv", Device.cpu(), "PyTorch")) {
            model.setBlock(convNet());
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                Shape shape = new Shape(4, 3, 12, 12);
                trainer.initialize(shape);
                NDArray x = trainer.getManager().randomNormal(shape);
                NDArray labels = trainer.getManager().zeros(new Shape(4), DataType.INT64);
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(new NDList(x)).head().toType(DataType.FLOAT32, false);
                    collector.backward(
                            trainer.getLoss().evaluate(new NDList(labels), new NDList(logits)));
                }
                trainer.step();
                return trainer.getPlugin().getPath();
            }
        }
    }

    private static String infer() {
        try (Model model = Model.newInstance("conv", Device.cpu(), "PyTorch");
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            SequentialBlock net = convNet();
            Shape shape = new Shape(2, 3, 12, 12);
            net.initialize(manager, DataType.FLOAT32, shape);
            model.setBlock(net);
            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of("32-true"));
            block.forward(new ParameterStore(manager, false), new NDList(manager.ones(shape)), false);
            return block.getPath();
        }
    }
}

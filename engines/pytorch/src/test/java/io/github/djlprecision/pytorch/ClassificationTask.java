package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Random;

/** A small classification task (generated blobs, an MLP, Adam) shared by the engine's tests. */
final class ClassificationTask {

    static final int FEATURES = 16;
    static final int CLASSES = 4;

    private ClassificationTask() {}

    /** A two-hidden-layer MLP classifier, seeded so that every run starts from the same weights. */
    static Model mlp(String name) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(32).build())
                        .add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(32).build())
                        .add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(CLASSES).build()));
        return model;
    }

    static DefaultTrainingConfig adamConfig() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(
                        Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build())
                .optDevices(new Device[] {Device.cpu()});
    }

    /** {@link #adamConfig()} with an epsilon fp16 holds, for {@code 16-true} and Apex O3. */
    static DefaultTrainingConfig adamConfigForFp16() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(
                        Optimizer.adam()
                                .optLearningRateTracker(Tracker.fixed(0.01f))
                                .optEpsilon(1e-4f)
                                .build())
                .optDevices(new Device[] {Device.cpu()});
    }

    /** Gaussian blobs, one centre per class, generated from a fixed seed. */
    static ArrayDataset blobs(NDManager manager, int samples, int batchSize) {
        Random random = new Random(7);
        float[][] centres = new float[CLASSES][FEATURES];
        for (float[] centre : centres) {
            for (int j = 0; j < FEATURES; j++) {
                centre[j] = (float) random.nextGaussian() * 0.4f;
            }
        }
        float[] x = new float[samples * FEATURES];
        float[] y = new float[samples];
        for (int i = 0; i < samples; i++) {
            int label = i % CLASSES;
            y[i] = label;
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = centres[label][j] + (float) random.nextGaussian();
            }
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(x, new Shape(samples, FEATURES)))
                .optLabels(manager.create(y, new Shape(samples)))
                .setSampling(batchSize, false)
                .build();
    }
}

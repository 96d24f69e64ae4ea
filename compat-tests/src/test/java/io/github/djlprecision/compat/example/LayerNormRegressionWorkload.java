package io.github.djlprecision.compat.example;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import io.github.djlprecision.compat.CompatWorkload;
import io.github.djlprecision.compat.SameInEveryTypeInitializer;

import java.util.Random;

/**
 * A user's own workload, different from the default in every respect: a regression MLP with
 * LayerNorm and GELU, L2 loss, and a smooth non-linear target. Only the public API of
 * djl-precision-compat-tests is used.
 *
 * <p>The team trains with SGD with momentum because it checks pure fp16 ({@code 16-true}, Apex O3)
 * too: there the trainer refuses DJL's default Adam (its epsilon 1e-8 is 0 in fp16; Adam with
 * {@code optEpsilon(1e-4f)} trains), which would make those cells report the optimizer, not the
 * precision.
 */
public final class LayerNormRegressionWorkload implements CompatWorkload {

    private static final int FEATURES = 8;
    private static final int SAMPLES = 512;
    private static final int BATCH = 32;

    @Override
    public String name() {
        return "layernorm-regression";
    }

    @Override
    public String description() {
        return "Regression MLP 8-48-LayerNorm-GELU-48-LayerNorm-GELU-1, SGD lr 0.05 momentum 0.9,"
                + " L2 loss;"
                + " 512 samples of y = sin(x.a) + 0.5 (x.b)^2, batch 32, 5 epochs";
    }

    @Override
    public Model newModel(String engine, Device device) {
        Engine.getEngine(engine).setRandomSeed(1234);
        Model model = Model.newInstance(name(), device, engine);
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(48).build())
                        .add(LayerNorm.builder().build())
                        .add(Activation.geluBlock())
                        .add(Linear.builder().setUnits(48).build())
                        .add(LayerNorm.builder().build())
                        .add(Activation.geluBlock())
                        .add(Linear.builder().setUnits(1).build()));
        return model;
    }

    @Override
    public Shape[] inputShapes() {
        return new Shape[] {new Shape(BATCH, FEATURES)};
    }

    @Override
    public TrainingConfig trainingConfig(Device device) {
        return new DefaultTrainingConfig(Loss.l2Loss())
                .optOptimizer(
                        Optimizer.sgd()
                                .setLearningRateTracker(Tracker.fixed(0.05f))
                                .optMomentum(0.9f)
                                .build())
                .optInitializer(new SameInEveryTypeInitializer(), Parameter.Type.WEIGHT)
                .optDevices(new Device[] {device});
    }

    @Override
    public Dataset trainingSet(NDManager manager) {
        Random random = new Random(11);
        float[] a = new float[FEATURES];
        float[] b = new float[FEATURES];
        for (int j = 0; j < FEATURES; j++) {
            a[j] = (float) random.nextGaussian() * 0.5f;
            b[j] = (float) random.nextGaussian() * 0.3f;
        }
        float[] x = new float[SAMPLES * FEATURES];
        float[] y = new float[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            double dotA = 0;
            double dotB = 0;
            for (int j = 0; j < FEATURES; j++) {
                float value = (float) random.nextGaussian();
                x[i * FEATURES + j] = value;
                dotA += value * a[j];
                dotB += value * b[j];
            }
            y[i] = (float) (Math.sin(dotA) + 0.5 * dotB * dotB);
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(x, new Shape(SAMPLES, FEATURES)))
                // (N, 1) like the model's output: L2 loss would broadcast (N) against (N, 1)
                .optLabels(manager.create(y, new Shape(SAMPLES, 1)))
                .setSampling(BATCH, false)
                .build();
    }

    @Override
    public int epochs() {
        return 5;
    }
}

package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import java.util.Random;

/**
 * The default workload: an MLP classifier (two hidden ReLU layers) trained with SGD with momentum
 * and softmax cross-entropy on overlapping Gaussian blobs generated from a fixed seed. Needs no
 * network.
 *
 * <p>SGD with momentum, not Adam: in pure fp16 ({@code 16-true}, Apex O3) Adam's optimizer state is
 * fp16 too and its default epsilon of 1e-8 rounds to 0, so the trainer refuses it before the first
 * step (ApexO2Test#plainHalfAdamIsRefusedWhereO2ConvergesToFloat32 in the PyTorch engine); those
 * cells would show that refusal instead of testing the precision. Momentum SGD has no squares and
 * no epsilon, and is sound in every precision the matrix runs. Its small learning rate keeps the
 * final loss a smooth function of rounding: at lr 0.1 fp32 runs that differ by one rounding ended
 * 0.2 apart, which no tolerance could tell from a broken cast.
 */
public final class MlpWorkload implements CompatWorkload {

    private static final int FEATURES = 16;
    private static final int CLASSES = 4;
    private static final int SEED = 42;

    private final int samples;
    private final int batchSize;
    private final int epochs;
    private final int hidden;

    /**
     * Creates the workload.
     *
     * @param samples how many samples the data set holds
     * @param batchSize the batch size
     * @param epochs how many passes each cell trains
     * @param hidden the width of the hidden layers
     */
    public MlpWorkload(int samples, int batchSize, int epochs, int hidden) {
        this.samples = samples;
        this.batchSize = batchSize;
        this.epochs = epochs;
        this.hidden = hidden;
    }

    /**
     * Returns the size the test suite uses: 512 samples, 16 batches per epoch, 6 epochs.
     *
     * @return the workload
     */
    public static MlpWorkload small() {
        return new MlpWorkload(512, 32, 6, 32);
    }

    @Override
    public String name() {
        return "mlp-blobs";
    }

    @Override
    public String description() {
        return String.format(
                "MLP %d-%d-%d-%d (ReLU), SGD lr 0.02 momentum 0.9, softmax cross-entropy; %d"
                        + " samples of %d Gaussian blobs, batch %d, %d epochs",
                FEATURES, hidden, hidden, CLASSES, samples, CLASSES, batchSize, epochs);
    }

    @Override
    public Model newModel(String engine, Device device) {
        Engine.getEngine(engine).setRandomSeed(SEED);
        Model model = Model.newInstance(name(), device, engine);
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(hidden).build())
                        .add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(hidden).build())
                        .add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(CLASSES).build()));
        return model;
    }

    @Override
    public Shape[] inputShapes() {
        return new Shape[] {new Shape(batchSize, FEATURES)};
    }

    @Override
    public TrainingConfig trainingConfig(Device device) {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(
                        Optimizer.sgd()
                                .setLearningRateTracker(Tracker.fixed(0.02f))
                                .optMomentum(0.9f)
                                .build())
                // the same starting weights in every parameter type
                .optInitializer(new SameInEveryTypeInitializer(), Parameter.Type.WEIGHT)
                .addEvaluator(new Accuracy())
                .optDevices(new Device[] {device});
    }

    @Override
    public Dataset trainingSet(NDManager manager) {
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

    @Override
    public int epochs() {
        return epochs;
    }
}

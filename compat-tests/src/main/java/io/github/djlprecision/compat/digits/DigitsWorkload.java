package io.github.djlprecision.compat.digits;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import io.github.djlprecision.compat.CompatWorkload;
import io.github.djlprecision.compat.SameInEveryTypeInitializer;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A classifier trained on the bundled UCI digits ({@link Digits}): a fixed stratified 80/20
 * train/test split, the training rows in one fixed shuffled order, SGD with momentum 0.9 and
 * softmax cross-entropy, the same starting weights in every precision. The model and the way an
 * image reaches it ({@link DigitsInput}) are set on the builder.
 *
 * <p>SGD with momentum, not Adam: in pure fp16 ({@code 16-true}, Apex O3) DJL's default Adam
 * epsilon of 1e-8 rounds to 0, and the trainer refuses it before the first step, so those cells
 * would only show that refusal (the same SGD in every precision keeps the cells comparable).
 */
public final class DigitsWorkload implements CompatWorkload {

    /** The share of each digit held out for testing. */
    public static final double TEST_FRACTION = 0.2;

    /** The seed of the split and of the training order. */
    public static final long SPLIT_SEED = 2024;

    private final String name;
    private final String description;
    private final Supplier<Block> block;
    private final DigitsInput input;
    private final int trainingSamples;
    private final int batchSize;
    private final int epochs;
    private final float learningRate;
    private final boolean tested;
    private final int seed;
    private final Digits.Split split;

    private DigitsWorkload(Builder builder) {
        name = builder.name;
        block = builder.block;
        input = builder.input;
        batchSize = builder.batchSize;
        epochs = builder.epochs;
        learningRate = builder.learningRate;
        tested = builder.tested;
        seed = builder.seed;
        split = Digits.bundled().split(TEST_FRACTION, SPLIT_SEED);
        trainingSamples =
                builder.trainingSamples == 0
                        ? split.train().length
                        : Math.min(builder.trainingSamples, split.train().length);
        description =
                String.format(
                        "%s; UCI digits as %s, %d training images%s, batch %d, %d epoch%s,"
                                + " SGD lr %s momentum 0.9, softmax cross-entropy",
                        builder.modelDescription,
                        input.describe(),
                        trainingSamples,
                        tested ? ", " + split.test().length + " test images" : "",
                        batchSize,
                        epochs,
                        epochs == 1 ? "" : "s",
                        learningRate);
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    /**
     * Returns how the images reach the model.
     *
     * @return the input layout
     */
    public DigitsInput input() {
        return input;
    }

    @Override
    public Model newModel(String engine, Device device) {
        Engine.getEngine(engine).setRandomSeed(seed);
        Model model = Model.newInstance(name, device, engine);
        model.setBlock(block.get());
        return model;
    }

    @Override
    public Shape[] inputShapes() {
        return input.shapes(batchSize);
    }

    @Override
    public TrainingConfig trainingConfig(Device device) {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(
                        Optimizer.sgd()
                                .setLearningRateTracker(Tracker.fixed(learningRate))
                                .optMomentum(0.9f)
                                .build())
                // the same starting weights in every parameter type
                .optInitializer(new SameInEveryTypeInitializer(), Parameter.Type.WEIGHT)
                .addEvaluator(new Accuracy())
                .optDevices(new Device[] {device});
    }

    @Override
    public Dataset trainingSet(NDManager manager) {
        return dataset(manager, Arrays.copyOf(split.train(), trainingSamples));
    }

    @Override
    public Dataset testSet(NDManager manager) {
        return tested ? dataset(manager, split.test()) : null;
    }

    private Dataset dataset(NDManager manager, int[] rows) {
        Digits digits = Digits.bundled();
        NDArray[] data = input.arrays(manager, digits, rows);
        return new ArrayDataset.Builder()
                .setData(data)
                .optLabels(manager.create(digits.labels(rows), new Shape(rows.length)))
                // a fixed order: every precision sees the same batches
                .setSampling(batchSize, false)
                .build();
    }

    @Override
    public int epochs() {
        return epochs;
    }

    /** Builds a {@link DigitsWorkload}. */
    public static final class Builder {

        private String name;
        private String modelDescription;
        private Supplier<Block> block;
        private DigitsInput input = DigitsInput.flat();
        private int trainingSamples;
        private int batchSize = 32;
        private int epochs = 5;
        private float learningRate = 0.05f;
        private boolean tested = true;
        private int seed = 42;

        private Builder() {}

        /**
         * Sets the workload's name.
         *
         * @param name e.g. {@code "digits-cnn"}
         * @return this builder
         */
        public Builder setName(String name) {
            this.name = name;
            return this;
        }

        /**
         * Sets the model: a factory, since every cell builds a fresh one.
         *
         * @param description one phrase, e.g. {@code "CNN conv3x3(16)-ReLU-..."}
         * @param block makes the model's block
         * @return this builder
         */
        public Builder setModel(String description, Supplier<Block> block) {
            this.modelDescription = description;
            this.block = block;
            return this;
        }

        /**
         * Sets how the images reach the model (default: 64 pixels in a row).
         *
         * @param input the layout
         * @return this builder
         */
        public Builder optInput(DigitsInput input) {
            this.input = input;
            return this;
        }

        /**
         * Trains on the first training images only (default: all 1438).
         *
         * @param trainingSamples how many
         * @return this builder
         */
        public Builder optTrainingSamples(int trainingSamples) {
            this.trainingSamples = trainingSamples;
            return this;
        }

        /**
         * Sets the batch size (default 32).
         *
         * @param batchSize the batch size
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets how many passes over the training images a cell makes (default 5).
         *
         * @param epochs the number of epochs
         * @return this builder
         */
        public Builder optEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets SGD's learning rate (default 0.05).
         *
         * @param learningRate the learning rate
         * @return this builder
         */
        public Builder optLearningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets whether cells report accuracy on the 359 test images (default true).
         *
         * @param tested false to skip the test set
         * @return this builder
         */
        public Builder optTestSet(boolean tested) {
            this.tested = tested;
            return this;
        }

        /**
         * Sets the engine's seed, which decides the starting weights (default 42).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(int seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the workload.
         *
         * @return the workload
         * @throws IllegalArgumentException if the name or model is missing, or a size is not
         *     positive
         */
        public DigitsWorkload build() {
            if (name == null || block == null) {
                throw new IllegalArgumentException("setName and setModel are required");
            }
            if (batchSize < 1 || epochs < 1 || trainingSamples < 0 || !(learningRate > 0)) {
                throw new IllegalArgumentException(
                        "batch size and epochs must be 1 or more, training samples 0 (all) or"
                                + " more, the learning rate positive");
            }
            return new DigitsWorkload(this);
        }
    }
}

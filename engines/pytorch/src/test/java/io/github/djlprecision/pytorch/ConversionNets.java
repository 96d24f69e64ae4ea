package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Small models for the weight-conversion checks on the CPU ({@link WeightConversionTest}) and on a
 * GPU ({@link CudaWeightConversionProbe}), and how their outputs are compared with fp32.
 *
 * <p>Tolerance: fp16 keeps 11 significant bits, so each rounding is off by at most u = 2^-11 (about
 * 4.9e-4) of the value rounded. Weights are rounded once and activations after every layer, while
 * LibTorch's fp16 kernels accumulate sums in fp32. Along the longest path here (the transformer:
 * projections, attention, residual, norms, feed-forward, head) about a dozen roundings meet, each
 * relative to values of about the output's scale; independent roundings add up like a random walk,
 * to about sqrt(12) u = 3.5 u. So every output must lie within 8 u (0.39 %) of the largest fp32
 * output's magnitude, a margin of about 2. Seen on the CPU: at most 1.9 u.
 */
final class ConversionNets {

    /** Largest difference from fp32 allowed, as a fraction of the largest fp32 output. */
    static final float TOLERANCE = 8f / 2048f;

    private ConversionNets() {}

    /** The kinds of model the recipe has to handle. */
    enum Net {
        /** Linear-ReLU-Linear-ReLU-Linear. */
        MLP(new Shape(8, ClassificationTask.FEATURES)),
        /** Two conv layers with batch norm (running statistics moved off their start values). */
        CNN(new Shape(4, 3, 12, 12)),
        /**
         * DJL's transformer encoder layer (attention, batch norms over the embedding) and a head.
         */
        ENCODER(new Shape(2, 6, 16)),
        /**
         * A pre-norm transformer layer: layer norms, self-attention, GELU feed-forward, residuals.
         */
        TRANSFORMER(new Shape(2, 6, 16));

        final Shape input;

        Net(Shape input) {
            this.input = input;
        }

        Block block() {
            switch (this) {
                case MLP:
                    return new SequentialBlock()
                            .add(Linear.builder().setUnits(32).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(32).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build());
                case CNN:
                    return new SequentialBlock()
                            .add(
                                    Conv2d.builder()
                                            .setKernelShape(new Shape(3, 3))
                                            .setFilters(8)
                                            .build())
                            .add(BatchNorm.builder().build())
                            .add(Activation.reluBlock())
                            .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                            .add(
                                    Conv2d.builder()
                                            .setKernelShape(new Shape(3, 3))
                                            .setFilters(8)
                                            .build())
                            .add(BatchNorm.builder().build())
                            .add(Activation.reluBlock())
                            .add(Pool.globalAvgPool2dBlock())
                            .add(Blocks.batchFlattenBlock())
                            .add(Linear.builder().setUnits(4).build());
                case ENCODER:
                    return new SequentialBlock()
                            .add(new TransformerEncoderBlock(16, 2, 32, 0f, Activation::gelu))
                            .add(Linear.builder().setUnits(4).build());
                default:
                    return new SequentialBlock()
                            .add(
                                    residual(
                                            LayerNorm.builder().build(),
                                            ScaledDotProductAttentionBlock.builder()
                                                    .setEmbeddingSize(16)
                                                    .setHeadCount(2)
                                                    .optAttentionProbsDropoutProb(0f)
                                                    .build()))
                            .add(
                                    residual(
                                            LayerNorm.builder().build(),
                                            Linear.builder().setUnits(32).build(),
                                            Activation.geluBlock(),
                                            Linear.builder().setUnits(16).build()))
                            .add(LayerNorm.builder().build())
                            .add(Linear.builder().setUnits(4).build());
            }
        }

        /** x + f(x). */
        private static Block residual(Block... layers) {
            return new ParallelBlock(
                    outputs -> new NDList(outputs.get(0).head().add(outputs.get(1).head())),
                    List.of(new SequentialBlock().addAll(layers), Blocks.identityBlock()));
        }
    }

    /** The parameters of every block of a type in a model, e.g. all batch-norm parameters. */
    static Set<Parameter> parametersOf(Block block, Class<? extends Block> type) {
        Set<Parameter> parameters = Collections.newSetFromMap(new IdentityHashMap<>());
        if (type.isInstance(block)) {
            parameters.addAll(block.getParameters().values());
        }
        block.getChildren().values().forEach(child -> parameters.addAll(parametersOf(child, type)));
        return parameters;
    }

    /**
     * A model of a kind on a device, its parameters created in fp32: the same weights every call,
     * since the engine's generator is seeded before they are drawn.
     */
    static Model model(Net net, Device device) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        Model model = Model.newInstance(net.name(), device, "PyTorch");
        Block block = net.block();
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, net.input);
        if (net == Net.CNN) {
            // training-mode forwards move the running statistics, so that fp32 ones matter
            try (NDManager scope = model.getNDManager().newSubManager()) {
                ParameterStore store = new ParameterStore(scope, false);
                for (int i = 0; i < 3; i++) {
                    NDArray shifted = input(scope, net.input, 10 + i).mul(2).add(0.5);
                    block.forward(store, new NDList(shifted), true);
                }
            }
        }
        return model;
    }

    /** Gaussian values from java.util.Random: the same on every run and engine. */
    static NDArray input(NDManager manager, Shape shape, long seed) {
        Random random = new Random(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, shape);
    }

    /**
     * Lists the parameters whose data type is not the one expected: fp32 for the parameters of the
     * block types kept, fp16 for the rest; and those not on the device.
     *
     * @return one line per mismatch, empty when all match
     */
    static List<String> typeProblems(
            Block root, List<Class<? extends Block>> keptFp32, Device device) {
        Set<Parameter> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        keptFp32.forEach(type -> kept.addAll(parametersOf(root, type)));
        List<String> problems = new ArrayList<>();
        for (Pair<String, Parameter> pair : root.getParameters()) {
            NDArray array = pair.getValue().getArray();
            DataType expected =
                    kept.contains(pair.getValue()) ? DataType.FLOAT32 : DataType.FLOAT16;
            if (array.getDataType() != expected || !array.getDevice().equals(device)) {
                problems.add(
                        pair.getKey()
                                + " is "
                                + array.getDataType()
                                + " on "
                                + array.getDevice()
                                + ", expected "
                                + expected
                                + " on "
                                + device);
            }
        }
        return problems;
    }

    /**
     * Predicts through DJL's Predictor with a no-op translator.
     *
     * @return the first output's values
     * @throws IllegalStateException if the translator does not see fp32
     */
    static float[] predict(Model model, NDList input) throws TranslateException {
        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
            NDArray out = predictor.predict(input).head();
            if (out.getDataType() != DataType.FLOAT32) {
                throw new IllegalStateException("the translator sees " + out.getDataType());
            }
            return out.toFloatArray();
        }
    }

    /**
     * Returns the largest difference between two outputs, as a fraction of the largest fp32 output.
     */
    static float relativeError(float[] fp32, float[] fp16) {
        float scale = 0;
        float worst = 0;
        for (int i = 0; i < fp32.length; i++) {
            scale = Math.max(scale, Math.abs(fp32[i]));
            worst = Math.max(worst, Math.abs(fp32[i] - fp16[i]));
        }
        return worst / scale;
    }
}

package io.github.djlprecision.bench;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.training.initializer.XavierInitializer;
import java.util.List;

/**
 * The models of the GPU benchmarks at full size (the H200 runs) and at a tiny size (CPU smoke
 * runs). {@code twin_models.py} has the same names, sizes and layouts.
 */
final class GpuModels {

    /** Names accepted by {@link #of}. */
    static final List<String> NAMES = List.of("mlp", "resnet50", "bert");

    private GpuModels() {}

    /**
     * Returns a model by name.
     *
     * @param name one of {@link #NAMES}
     * @param tiny whether to use the tiny sizes of the smoke runs
     * @return the model
     * @throws IllegalArgumentException for an unknown name, listing the accepted ones
     */
    static BenchModel of(String name, boolean tiny) {
        return switch (name) {
            case "mlp" -> tiny ? new Mlp(64, 64, 4, 10, 16) : new Mlp(4096, 4096, 4, 10, 4096);
            case "resnet50" -> tiny ? new ResNet50(64, 10, 2) : new ResNet50(224, 1000, 128);
            case "bert" ->
                    tiny
                            ? new Bert(100, 32, 2, 2, 64, 8, 2, 2, 4)
                            : new Bert(30522, 768, 12, 12, 3072, 128, 2, 2, 32);
            default ->
                    throw new IllegalArgumentException(
                            "Unknown model '" + name + "'; accepted: " + String.join(", ", NAMES));
        };
    }

    /**
     * {@code layers} x (Linear(hidden) + ReLU), then Linear(classes).
     *
     * @param features input features
     * @param hidden width of the hidden layers
     * @param layers number of hidden Linear+ReLU layers
     * @param classes output classes
     * @param defaultBatch training batch size
     */
    record Mlp(int features, int hidden, int layers, int classes, int defaultBatch)
            implements BenchModel {

        @Override
        public String name() {
            return "mlp";
        }

        @Override
        public String describe() {
            return String.format(
                    "MLP %d -> %d x (Linear(%d)+ReLU) -> Linear(%d)",
                    features, layers, hidden, classes);
        }

        @Override
        public Block newBlock() {
            SequentialBlock block = new SequentialBlock();
            for (int i = 0; i < layers; i++) {
                block.add(Linear.builder().setUnits(hidden).build()).add(Activation.reluBlock());
            }
            return block.add(Linear.builder().setUnits(classes).build());
        }

        @Override
        public Shape[] inputShapes(int batch) {
            return new Shape[] {new Shape(batch, features)};
        }

        @Override
        public NDList inputs(NDManager manager, int batch) {
            return new NDList(manager.randomNormal(inputShapes(batch)[0]));
        }

        @Override
        public NDArray labels(NDManager manager, int batch) {
            return manager.randomInteger(0, classes, new Shape(batch), DataType.INT64);
        }
    }

    /**
     * DJL's {@code ResNetV1} with 50 layers (bottleneck units 3-4-6-3).
     *
     * @param image height and width of the square RGB input
     * @param classes output classes
     * @param defaultBatch training batch size
     */
    record ResNet50(int image, int classes, int defaultBatch) implements BenchModel {

        @Override
        public String name() {
            return "resnet50";
        }

        @Override
        public String describe() {
            return String.format(
                    "ResNet-50 (DJL ResNetV1), %dx%d, %d classes", image, image, classes);
        }

        @Override
        public Block newBlock() {
            return ResNetV1.builder()
                    .setImageShape(new Shape(3, image, image))
                    .setNumLayers(50)
                    .setOutSize(classes)
                    .build();
        }

        @Override
        public Shape[] inputShapes(int batch) {
            return new Shape[] {new Shape(batch, 3, image, image)};
        }

        @Override
        public NDList inputs(NDManager manager, int batch) {
            return new NDList(manager.randomNormal(inputShapes(batch)[0]));
        }

        @Override
        public NDArray labels(NDManager manager, int batch) {
            return manager.randomInteger(0, classes, new Shape(batch), DataType.INT64);
        }
    }

    /**
     * DJL's {@link BertBlock} with a classification head, composed from DJL's containers as a user
     * would: the block, its pooled output (tanh of a projection of the token at position 1, as
     * BertBlock computes it), a {@link Linear} layer; all tokens unmasked. Composed so, only the
     * lambda that picks the pooled output is a block of unknown code, which bf16-mixed runs as an
     * fp32 island; a block class of the user's own above BertBlock would make the whole model one.
     *
     * @param vocabulary token dictionary size
     * @param hidden embedding size
     * @param layers transformer blocks
     * @param heads attention heads
     * @param intermediate hidden size of the feed-forward blocks
     * @param sequence sequence length (BertBlock adds its whole position table, so it is also the
     *     maximum length)
     * @param types token type dictionary size
     * @param classes output classes
     * @param defaultBatch training batch size
     */
    record Bert(
            int vocabulary,
            int hidden,
            int layers,
            int heads,
            int intermediate,
            int sequence,
            int types,
            int classes,
            int defaultBatch)
            implements BenchModel {

        @Override
        public String name() {
            return "bert";
        }

        @Override
        public String describe() {
            return String.format(
                    "BERT (DJL BertBlock) hidden %d, %d layers, %d heads, intermediate %d,"
                            + " sequence %d, vocabulary %d, head to %d classes",
                    hidden, layers, heads, intermediate, sequence, vocabulary, classes);
        }

        @Override
        public Block newBlock() {
            BertBlock bert =
                    BertBlock.builder()
                            .setTokenDictionarySize(vocabulary)
                            .optTypeDictionarySize(types)
                            .optEmbeddingSize(hidden)
                            .optTransformerBlockCount(layers)
                            .optAttentionHeadCount(heads)
                            .optHiddenSize(intermediate)
                            .optMaxSequenceLength(sequence)
                            .build();
            SequentialBlock classifier =
                    new SequentialBlock()
                            .add(bert)
                            .add(new LambdaBlock(out -> new NDList(out.get(1)), "pooled"))
                            .add(Linear.builder().setUnits(classes).build());
            // PyTorch's default for Linear weights (uniform +-1/sqrt(fan_in)), as the twin has
            // them: under DJL's default Xavier this BertBlock's activations grow past fp16's
            // range (1.4e5 by the 12th layer), and every 16-mixed step overflows
            classifier.setInitializer(
                    new XavierInitializer(
                            XavierInitializer.RandomType.UNIFORM,
                            XavierInitializer.FactorType.IN,
                            1f),
                    parameter -> "weight".equals(parameter.getName()));
            return classifier;
        }

        @Override
        public Shape[] inputShapes(int batch) {
            Shape tokens = new Shape(batch, sequence);
            return new Shape[] {tokens, tokens, tokens};
        }

        @Override
        public NDList inputs(NDManager manager, int batch) {
            Shape tokens = new Shape(batch, sequence);
            return new NDList(
                    manager.randomInteger(0, vocabulary, tokens, DataType.INT64),
                    manager.randomInteger(0, types, tokens, DataType.INT64),
                    manager.ones(tokens));
        }

        @Override
        public NDArray labels(NDManager manager, int batch) {
            return manager.randomInteger(0, classes, new Shape(batch), DataType.INT64);
        }
    }
}

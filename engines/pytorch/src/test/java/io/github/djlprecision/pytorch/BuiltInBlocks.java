package io.github.djlprecision.pytorch;

import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.AlexNet;
import ai.djl.basicmodelzoo.cv.classification.GoogLeNet;
import ai.djl.basicmodelzoo.cv.classification.LeNet;
import ai.djl.basicmodelzoo.cv.classification.MobileNetV1;
import ai.djl.basicmodelzoo.cv.classification.MobileNetV2;
import ai.djl.basicmodelzoo.cv.classification.NiN;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.basicmodelzoo.cv.classification.SqueezeNet;
import ai.djl.basicmodelzoo.cv.classification.VGG;
import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.nn.transformer.IdEmbedding;
import ai.djl.nn.transformer.PointwiseFeedForwardBlock;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * DJL's built-in blocks and basic-model-zoo architectures at sizes a CPU trains in a second, each
 * with a batch of two. Every model is a block under test followed, where it does not end in one, by
 * DJL's own {@code batchFlatten} and {@code Linear}, so that the test adds no lambda of its own (a
 * lambda written here would be a user lambda, and run as an fp32 island).
 */
final class BuiltInBlocks {

    /** Rows of the batch. */
    static final int BATCH = 2;

    /**
     * One model to train.
     *
     * @param name the name a report prints
     * @param block makes the model's block
     * @param data makes a batch
     * @param trainable false when the output does not depend on the parameters (forward only)
     */
    record Case(
            String name,
            Supplier<Block> block,
            Function<NDManager, NDList> data,
            boolean trainable) {

        Case(String name, Supplier<Block> block, Function<NDManager, NDList> data) {
            this(name, block, data, true);
        }
    }

    private BuiltInBlocks() {}

    /**
     * Returns the cases of some groups.
     *
     * @param groups group names: activations, shapes, pools, layers, recurrent, transformer, zoo
     * @return the cases, in group order
     */
    static List<Case> of(String... groups) {
        List<Case> cases = new ArrayList<>();
        for (String group : groups) {
            switch (group) {
                case "activations" -> cases.addAll(activations());
                case "shapes" -> cases.addAll(shapes());
                case "pools" -> cases.addAll(pools());
                case "layers" -> cases.addAll(layers());
                case "recurrent" -> cases.addAll(recurrent());
                case "transformer" -> cases.addAll(transformer());
                case "zoo" -> cases.addAll(zoo());
                default -> throw new IllegalArgumentException("unknown group " + group);
            }
        }
        return cases;
    }

    private static List<Case> activations() {
        Map<String, Supplier<Block>> factories = new LinkedHashMap<>();
        factories.put("Activation.reluBlock", Activation::reluBlock);
        factories.put("Activation.relu6Block", Activation::relu6Block);
        factories.put("Activation.sigmoidBlock", Activation::sigmoidBlock);
        factories.put("Activation.tanhBlock", Activation::tanhBlock);
        factories.put("Activation.softPlusBlock", Activation::softPlusBlock);
        factories.put("Activation.softSignBlock", Activation::softSignBlock);
        factories.put("Activation.leakyReluBlock", () -> Activation.leakyReluBlock(0.1f));
        factories.put("Activation.eluBlock", () -> Activation.eluBlock(1f));
        factories.put("Activation.seluBlock", Activation::seluBlock);
        factories.put("Activation.geluBlock", Activation::geluBlock);
        factories.put("Activation.swishBlock", () -> Activation.swishBlock(1f));
        factories.put("Activation.mishBlock", Activation::mishBlock);
        return factories.entrySet().stream()
                .map(
                        e ->
                                new Case(
                                        e.getKey(),
                                        () -> head(dense(8), e.getValue().get()),
                                        floats(BATCH, 6)))
                .collect(Collectors.toList());
    }

    private static List<Case> shapes() {
        PairList<DataType, Shape> ones = new PairList<>();
        ones.add(DataType.FLOAT32, new Shape(-1, 8));
        return List.of(
                new Case(
                        "Blocks.batchFlattenBlock",
                        () -> new SequentialBlock().add(conv2d()).add(Blocks.batchFlattenBlock()),
                        floats(BATCH, 3, 6, 6)),
                new Case(
                        "Blocks.batchFlattenBlock(size)",
                        () ->
                                new SequentialBlock()
                                        .add(conv2d())
                                        .add(Blocks.batchFlattenBlock(2 * 4 * 4)),
                        floats(BATCH, 3, 6, 6)),
                new Case(
                        "Blocks.identityBlock",
                        () -> head(dense(8), Blocks.identityBlock()),
                        floats(BATCH, 6)),
                // ones carry no gradient: the case checks the forward only
                new Case(
                        "Blocks.onesBlock",
                        () ->
                                new SequentialBlock()
                                        .add(dense(8))
                                        .add(Blocks.onesBlock(ones, new String[] {"ones"})),
                        floats(BATCH, 6),
                        false));
    }

    private static List<Case> pools() {
        Shape k1 = new Shape(2);
        Shape k2 = new Shape(2, 2);
        Shape k3 = new Shape(2, 2, 2);
        List<Case> cases = new ArrayList<>();
        cases.add(pool("Pool.maxPool1dBlock", 1, () -> Pool.maxPool1dBlock(k1)));
        cases.add(pool("Pool.maxPool2dBlock", 2, () -> Pool.maxPool2dBlock(k2)));
        cases.add(pool("Pool.maxPool3dBlock", 3, () -> Pool.maxPool3dBlock(k3)));
        cases.add(pool("Pool.avgPool1dBlock", 1, () -> Pool.avgPool1dBlock(k1)));
        cases.add(pool("Pool.avgPool2dBlock", 2, () -> Pool.avgPool2dBlock(k2)));
        cases.add(pool("Pool.avgPool3dBlock", 3, () -> Pool.avgPool3dBlock(k3)));
        cases.add(pool("Pool.lpPool1dBlock", 1, () -> Pool.lpPool1dBlock(2, k1)));
        cases.add(pool("Pool.lpPool2dBlock", 2, () -> Pool.lpPool2dBlock(2, k2)));
        cases.add(pool("Pool.globalMaxPool1dBlock", 1, () -> Pool.globalMaxPool1dBlock()));
        cases.add(pool("Pool.globalMaxPool2dBlock", 2, () -> Pool.globalMaxPool2dBlock()));
        cases.add(pool("Pool.globalMaxPool3dBlock", 3, () -> Pool.globalMaxPool3dBlock()));
        cases.add(pool("Pool.globalAvgPool1dBlock", 1, () -> Pool.globalAvgPool1dBlock()));
        cases.add(pool("Pool.globalAvgPool2dBlock", 2, () -> Pool.globalAvgPool2dBlock()));
        cases.add(pool("Pool.globalAvgPool3dBlock", 3, () -> Pool.globalAvgPool3dBlock()));
        cases.add(pool("Pool.globalLpPool1dBlock", 1, () -> Pool.globalLpPool1dBlock(2)));
        cases.add(pool("Pool.globalLpPool2dBlock", 2, () -> Pool.globalLpPool2dBlock(2)));
        return cases;
    }

    /** A convolution of the pool's rank in front of it, so that the pool's input is computed. */
    private static Case pool(String name, int rank, Supplier<Block> pool) {
        Shape kernel = new Shape(IntStream.range(0, rank).mapToLong(i -> 1).toArray());
        Supplier<Block> conv =
                switch (rank) {
                    case 1 -> () -> Conv1d.builder().setKernelShape(kernel).setFilters(2).build();
                    case 2 -> () -> Conv2d.builder().setKernelShape(kernel).setFilters(2).build();
                    default -> () -> Conv3d.builder().setKernelShape(kernel).setFilters(2).build();
                };
        long[] shape = new long[rank + 2];
        shape[0] = BATCH;
        shape[1] = 3;
        for (int i = 2; i < shape.length; i++) {
            shape[i] = 4;
        }
        return new Case(name, () -> head(conv.get(), pool.get()), floats(shape));
    }

    private static List<Case> layers() {
        List<String> words = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        return List.of(
                new Case("Linear", () -> dense(4), floats(BATCH, 6)),
                new Case(
                        "Conv1d",
                        () ->
                                head(
                                        Conv1d.builder()
                                                .setKernelShape(new Shape(3))
                                                .setFilters(2)
                                                .build()),
                        floats(BATCH, 3, 8)),
                new Case("Conv2d", () -> head(conv2d()), floats(BATCH, 3, 6, 6)),
                new Case(
                        "Conv3d",
                        () ->
                                head(
                                        Conv3d.builder()
                                                .setKernelShape(new Shape(3, 3, 3))
                                                .setFilters(2)
                                                .build()),
                        floats(BATCH, 3, 4, 4, 4)),
                new Case(
                        "BatchNorm",
                        () -> head(conv2d(), BatchNorm.builder().build()),
                        floats(BATCH, 3, 6, 6)),
                new Case(
                        "LayerNorm",
                        () -> head(dense(8), LayerNorm.builder().build()),
                        floats(BATCH, 6)),
                new Case(
                        "Dropout",
                        () -> head(dense(8), Dropout.builder().optRate(0.5f).build()),
                        floats(BATCH, 6)),
                new Case(
                        "TrainableWordEmbedding",
                        () ->
                                head(
                                        TrainableWordEmbedding.builder()
                                                .setVocabulary(new DefaultVocabulary(words))
                                                .setEmbeddingSize(4)
                                                .build()),
                        ids(words.size(), BATCH, 5)),
                new Case(
                        "IdEmbedding",
                        () ->
                                head(
                                        new IdEmbedding.Builder()
                                                .setDictionarySize(8)
                                                .setEmbeddingSize(4)
                                                .build()),
                        ids(8, BATCH, 5)));
    }

    private static List<Case> recurrent() {
        return List.of(
                new Case(
                        "LSTM",
                        () -> head(LSTM.builder().setStateSize(4).setNumLayers(2).build()),
                        floats(BATCH, 5, 3)),
                new Case(
                        "GRU",
                        () -> head(GRU.builder().setStateSize(4).setNumLayers(2).build()),
                        floats(BATCH, 5, 3)),
                new Case(
                        "RNN",
                        () ->
                                head(
                                        RNN.builder()
                                                .setActivation(RNN.Activation.TANH)
                                                .setStateSize(4)
                                                .setNumLayers(2)
                                                .build()),
                        floats(BATCH, 5, 3)));
    }

    private static List<Case> transformer() {
        return List.of(
                new Case(
                        "ScaledDotProductAttentionBlock",
                        () ->
                                head(
                                        ScaledDotProductAttentionBlock.builder()
                                                .setEmbeddingSize(8)
                                                .setHeadCount(2)
                                                .build()),
                        floats(BATCH, 4, 8)),
                new Case(
                        "PointwiseFeedForwardBlock",
                        () -> head(new PointwiseFeedForwardBlock(List.of(16), 8, Activation::relu)),
                        floats(BATCH, 4, 8)),
                new Case(
                        "TransformerEncoderBlock",
                        () -> head(new TransformerEncoderBlock(8, 2, 16, 0.1f, Activation::relu)),
                        floats(BATCH, 4, 8)),
                new Case(
                        "BertBlock",
                        // two outputs (sequence and pooled): no flattening head
                        () ->
                                new SequentialBlock()
                                        .add(
                                                BertBlock.builder()
                                                        .setTokenDictionarySize(16)
                                                        .optTypeDictionarySize(2)
                                                        .optEmbeddingSize(8)
                                                        .optTransformerBlockCount(1)
                                                        .optAttentionHeadCount(2)
                                                        .optHiddenSize(16)
                                                        .optMaxSequenceLength(4)
                                                        .build()),
                        BuiltInBlocks::bertBatch));
    }

    private static List<Case> zoo() {
        return List.of(
                new Case(
                        "ResNetV1-18",
                        () ->
                                ResNetV1.builder()
                                        .setImageShape(new Shape(3, 32, 32))
                                        .setNumLayers(18)
                                        .setOutSize(4)
                                        .build(),
                        floats(BATCH, 3, 32, 32)),
                new Case(
                        "ResNetV1-50",
                        () ->
                                ResNetV1.builder()
                                        .setImageShape(new Shape(3, 64, 64))
                                        .setNumLayers(50)
                                        .setOutSize(4)
                                        .build(),
                        floats(BATCH, 3, 64, 64)),
                new Case(
                        "MobileNetV1",
                        () -> MobileNetV1.builder().optWidthMultiplier(0.25f).setOutSize(4).build(),
                        floats(BATCH, 3, 32, 32)),
                new Case(
                        "MobileNetV2",
                        () ->
                                MobileNetV2.builder()
                                        .optFilters(new int[] {8, 8, 8, 8, 16, 16, 16, 32, 64})
                                        .optRepeatTimes(new int[] {1, 1, 2, 2, 2, 1, 1, 1, 1})
                                        .optMultiTimes(new int[] {1, 2, 2, 2, 2, 2, 2})
                                        .setOutSize(4)
                                        .build(),
                        floats(BATCH, 3, 32, 32)),
                new Case("SqueezeNet", () -> SqueezeNet.squeezenet(4), floats(BATCH, 3, 32, 32)),
                new Case(
                        "GoogLeNet",
                        () -> GoogLeNet.builder().setOutSize(4).build(),
                        floats(BATCH, 3, 32, 32)),
                new Case(
                        "NiN",
                        () -> NiN.builder().setNumChannels(new int[] {8, 8, 8, 4}).build(),
                        floats(BATCH, 1, 96, 96)),
                new Case(
                        "AlexNet",
                        () ->
                                AlexNet.builder()
                                        .setNumChannels(new int[] {8, 8, 8, 8, 8, 16, 16})
                                        .setOutSize(4)
                                        .build(),
                        floats(BATCH, 1, 96, 96)),
                new Case(
                        "VGG",
                        () ->
                                VGG.builder()
                                        .setNumLayers(6)
                                        .setConvArch(new int[][] {{1, 8}, {2, 8}})
                                        .setOutSize(4)
                                        .build(),
                        floats(BATCH, 1, 16, 16)),
                new Case(
                        "LeNet",
                        () ->
                                LeNet.builder()
                                        .setNumChannels(new int[] {4, 8, 16, 8})
                                        .setOutSize(4)
                                        .build(),
                        floats(BATCH, 1, 28, 28)),
                new Case("Mlp", () -> new Mlp(6, 4, new int[] {8}), floats(BATCH, 6)));
    }

    /** The block, then DJL's batchFlatten and a Linear to four logits. */
    private static Block head(Block... blocks) {
        SequentialBlock model = new SequentialBlock();
        for (Block block : blocks) {
            model.add(block);
        }
        return model.add(Blocks.batchFlattenBlock()).add(dense(4));
    }

    private static Linear dense(int units) {
        return Linear.builder().setUnits(units).build();
    }

    private static Conv2d conv2d() {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(2).build();
    }

    private static Function<NDManager, NDList> floats(long... shape) {
        return manager -> new NDList(manager.randomNormal(new Shape(shape)));
    }

    private static Function<NDManager, NDList> ids(int vocabulary, long... shape) {
        return manager ->
                new NDList(manager.randomInteger(0, vocabulary, new Shape(shape), DataType.INT64));
    }

    /** Token ids, token types and an all-ones mask, each (batch, 4), as BertBlock takes them. */
    private static NDList bertBatch(NDManager manager) {
        Shape shape = new Shape(BATCH, 4);
        return new NDList(
                manager.randomInteger(0, 16, shape, DataType.INT64),
                manager.zeros(shape, DataType.INT64),
                manager.ones(shape, DataType.INT64));
    }
}

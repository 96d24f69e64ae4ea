package io.github.djlprecision.compat.architectures;

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
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;

import io.github.djlprecision.compat.digits.Digits;
import io.github.djlprecision.compat.digits.DigitsInput;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The architecture axis of the compatibility matrix: DJL's basic model zoo ({@code
 * ai.djl.basicmodelzoo.cv.classification}), recurrent, embedding and attention blocks, each built
 * as a digit classifier at the smallest input size its builder accepts, with few channels where the
 * builder allows.
 */
public enum Architecture {

    /** LeNet-5 (sigmoid, average pooling); its second unpadded 5x5 convolution needs 16x16. */
    LENET(
            "LeNet (6, 16, 120, 84)",
            DigitsInput.image(2),
            () -> LeNet.builder().setNumChannels(new int[] {6, 16, 120, 84}).build()),
    /** AlexNet with few channels; its 11x11/4 convolution and three poolings need 67x67 or more. */
    ALEXNET(
            "AlexNet (8, 16, 16, 16, 16, 64, 64 channels)",
            DigitsInput.image(9),
            () -> AlexNet.builder().setNumChannels(new int[] {8, 16, 16, 16, 16, 64, 64}).build()),
    /** VGG-11-style: five blocks of 3x3 convolutions and 2x2 pooling need 32x32. */
    VGG_STYLE(
            "VGG-11 layout (8, 16, 2x16, 2x32, 2x32 channels; DJL's 4096-unit dense layers)",
            DigitsInput.image(4),
            () ->
                    VGG.builder()
                            .setNumLayers(11)
                            .setConvArch(new int[][] {{1, 8}, {1, 16}, {2, 16}, {2, 32}, {2, 32}})
                            .build()),
    /** ResNetV1-18; the ImageNet stem (7x7/2 and max pooling) takes inputs over 32 pixels. */
    RESNET18("ResNetV1-18", DigitsInput.image(5), () -> resnet(18)),
    /**
     * ResNetV1-50 (bottleneck units), four images per step: over two, its 53 batch normalisations
     * make training diverge within a few steps in every precision.
     */
    RESNET50("ResNetV1-50", DigitsInput.image(5), 4, () -> resnet(50)),
    /**
     * MobileNetV1 at width 0.25 on 64x64: its padded strided convolutions would run down to 1x1,
     * but batch normalisation over 1x1 maps of two images has a near-zero variance whose float16
     * backward overflows; 64x64 leaves 2x2 maps at the last stage.
     */
    MOBILENET_V1(
            "MobileNetV1 (width 0.25)",
            DigitsInput.image(8),
            () -> MobileNetV1.builder().optWidthMultiplier(0.25f).build()),
    /** MobileNetV2 with narrow stages, on 64x64 as MobileNetV1. */
    MOBILENET_V2(
            "MobileNetV2 (filters 16, 8, 16, 16, 32, 32, 64, 64, 128)",
            DigitsInput.image(8),
            () ->
                    MobileNetV2.builder()
                            .optFilters(new int[] {16, 8, 16, 16, 32, 32, 64, 64, 128})
                            .build()),
    /** SqueezeNet 1.1; its unpadded stem and three ceil-mode poolings need 24x24 or more. */
    SQUEEZENET("SqueezeNet", DigitsInput.image(3), () -> SqueezeNet.squeezenet(Digits.CLASSES)),
    /** GoogLeNet (Inception v1); padded poolings run down to 1x1. */
    GOOGLENET("GoogLeNet", DigitsInput.image(1), () -> GoogLeNet.builder().build()),
    /** Network in Network; its 11x11/4 convolution and three poolings need 67x67 or more. */
    NIN(
            "NiN (16, 32, 32, 10 channels)",
            DigitsInput.image(9),
            () -> NiN.builder().setNumChannels(new int[] {16, 32, 32, Digits.CLASSES}).build()),
    /** An LSTM over the 8 rows of a digit, then Linear. */
    LSTM_CLASSIFIER(
            "LSTM (state 32) over 8 rows, Linear",
            DigitsInput.rows(),
            () ->
                    head(
                            LSTM.builder()
                                    .setStateSize(32)
                                    .setNumLayers(1)
                                    .optBatchFirst(true)
                                    .optReturnState(false)
                                    .build())),
    /** A GRU over the 8 rows of a digit, then Linear. */
    GRU_CLASSIFIER(
            "GRU (state 32) over 8 rows, Linear",
            DigitsInput.rows(),
            () ->
                    head(
                            GRU.builder()
                                    .setStateSize(32)
                                    .setNumLayers(1)
                                    .optBatchFirst(true)
                                    .optReturnState(false)
                                    .build())),
    /** A text classifier: DJL's trainable word embedding of int token ids, then Linear. */
    EMBEDDING_CLASSIFIER(
            "Embedding (17 tokens x 16) over 64 pixel tokens, Linear",
            DigitsInput.tokenIds(false),
            () -> head(pixelEmbedding())),
    /** One TransformerEncoderBlock over the 8 rows (projected to 16), then Linear. */
    TRANSFORMER_ENCODER(
            "Linear(16) per row, TransformerEncoderBlock (2 heads, hidden 32), Linear",
            DigitsInput.rows(),
            () ->
                    head(
                            new SequentialBlock()
                                    .add(Linear.builder().setUnits(16).build())
                                    .add(
                                            new TransformerEncoderBlock(
                                                    16, 2, 32, 0f, Activation::relu)))),
    /** A tiny BertBlock over the 64 pixel tokens; its pooled output feeds Linear. */
    BERT(
            "BertBlock (1 layer, embedding 16, 2 heads, hidden 32) over 64 pixel tokens, pooled"
                    + " output, Linear",
            DigitsInput.tokenIds(true),
            Architecture::bert);

    /** Images per step, unless an architecture needs more. */
    static final int BATCH_SIZE = 2;

    private final String description;
    private final DigitsInput input;
    private final int batchSize;
    private final Supplier<Block> block;

    Architecture(String description, DigitsInput input, Supplier<Block> block) {
        this(description, input, BATCH_SIZE, block);
    }

    Architecture(String description, DigitsInput input, int batchSize, Supplier<Block> block) {
        this.description = description;
        this.input = input;
        this.batchSize = batchSize;
        this.block = block;
    }

    /**
     * Returns the name the matrix and the expectation table use.
     *
     * @return e.g. {@code "resnet18"}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace("_classifier", "").replace("_", "-");
    }

    /**
     * Returns the architecture with an id.
     *
     * @param id as {@link #id()} gives it
     * @return the architecture
     * @throws IllegalArgumentException naming the accepted ids
     */
    public static Architecture of(String id) {
        List<String> ids = new ArrayList<>();
        for (Architecture architecture : values()) {
            if (architecture.id().equals(id)) {
                return architecture;
            }
            ids.add(architecture.id());
        }
        throw new IllegalArgumentException("Unknown architecture '" + id + "'; one of " + ids);
    }

    /**
     * Returns what is built, for the report.
     *
     * @return e.g. {@code "ResNetV1-18"}
     */
    public String description() {
        return description;
    }

    /**
     * Returns how the digits reach the model.
     *
     * @return the input layout
     */
    public DigitsInput input() {
        return input;
    }

    /**
     * Returns how many images one training step takes.
     *
     * @return the batch size
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Builds a fresh classifier of the 10 digits.
     *
     * @return the block
     */
    public Block newBlock() {
        return block.get();
    }

    private static Block resnet(int layers) {
        return ResNetV1.builder()
                .setNumLayers(layers)
                .setOutSize(Digits.CLASSES)
                .setImageShape(new Shape(1, 40, 40))
                .build();
    }

    private static Block head(Block body) {
        return new SequentialBlock()
                .add(body)
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(Digits.CLASSES).build());
    }

    private static Block pixelEmbedding() {
        List<String> tokens = new ArrayList<>();
        for (int value = 0; value <= Digits.MAX_PIXEL; value++) {
            tokens.add(Integer.toString(value));
        }
        return TrainableWordEmbedding.builder()
                .setVocabulary(new DefaultVocabulary(tokens))
                .setEmbeddingSize(16)
                .build();
    }

    private static Block bert() {
        return new SequentialBlock()
                .add(
                        BertBlock.builder()
                                .setTokenDictionarySize(Digits.MAX_PIXEL + 1)
                                .optTypeDictionarySize(2)
                                .optEmbeddingSize(16)
                                .optTransformerBlockCount(1)
                                .optAttentionHeadCount(2)
                                .optHiddenSize(32)
                                .optHiddenDropoutProbability(0f)
                                .optMaxSequenceLength(Digits.PIXELS)
                                .build())
                // BertBlock returns the sequence and the pooled first token: classify the latter
                .add(new LambdaBlock(outputs -> new NDList(outputs.get(1)), "pooledOutput"))
                .add(Linear.builder().setUnits(Digits.CLASSES).build());
    }
}

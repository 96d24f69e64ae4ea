package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.ConversionNets.TOLERANCE;
import static io.github.djlprecision.pytorch.ConversionNets.input;
import static io.github.djlprecision.pytorch.ConversionNets.predict;
import static io.github.djlprecision.pytorch.ConversionNets.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractSymbolBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.training.ParameterStore;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.WeightConversion;
import io.github.djlprecision.pytorch.ConversionNets.Net;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Weights converted to fp16 once for inference (PyTorch's {@code model.half()} recipe), on the CPU:
 * LibTorch 2.7.1's CPU build has the fp16 kernels these models need (Linear, Conv2d, pooling, batch
 * norm and layer norm with fp32 parameters, attention's matmul and softmax). Models and tolerance:
 * {@link ConversionNets}.
 */
class WeightConversionTest {

    private static final String HALF = "converted-weights(float16, float32 batch norm)";
    private static final String UNDER_AUTOCAST =
            "native-autocast(cpu, float16) over converted-weights(float16, float32 norm layers)";
    private static final List<Class<? extends Block>> NORMS =
            List.of(BatchNorm.class, LayerNorm.class);

    /** Asserts each parameter's type: fp32 for those of the kept block types, fp16 for the rest. */
    private static void assertTypes(Block root, List<Class<? extends Block>> keptFp32) {
        assertEquals(List.of(), ConversionNets.typeProblems(root, keptFp32, Device.cpu()));
    }

    private static Model model(Net net) {
        return ConversionNets.model(net, Device.cpu());
    }

    private static void assertWithinTolerance(float[] fp32, float[] fp16) {
        float scale = 0;
        for (float v : fp32) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0.1f, "outputs of a useful size: " + scale);
        assertTrue(
                relativeError(fp32, fp16) <= TOLERANCE, relativeError(fp32, fp16) + " of " + scale);
        assertNotEquals(java.util.Arrays.toString(fp32), java.util.Arrays.toString(fp16));
    }

    private static Map<String, NDArray> arrays(Block block) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            arrays.put(pair.getKey(), pair.getValue().getArray());
        }
        return arrays;
    }

    private static long bytes(Map<String, NDArray> arrays) {
        return arrays.values().stream()
                .mapToLong(a -> a.getShape().size() * a.getDataType().getNumOfBytes())
                .sum();
    }

    @ParameterizedTest
    @EnumSource(Net.class)
    void sixteenTrueConvertsWeightsOnceKeepsBatchNormFp32AndReleasesTheFp32Arrays(Net net)
            throws TranslateException {
        try (Model model = model(net);
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList x = new NDList(input(manager, net.input, 1));
            float[] fp32 = predict(model, x);
            Map<String, NDArray> before = arrays(model.getBlock());
            Map<String, Shape> shapes = new LinkedHashMap<>();
            before.forEach((name, array) -> shapes.put(name, array.getShape()));
            long bytesBefore = bytes(before);
            int managed = model.getNDManager().getManagedArrays().size();

            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of("16-true"));

            assertEquals(HALF, block.getPath());
            // layer norm too, as model.half(): LibTorch's CUDA kernel wants its input's type
            assertTypes(model.getBlock(), List.of(BatchNorm.class));
            Map<String, NDArray> after = arrays(model.getBlock());
            long keptBytes = 0;
            for (Map.Entry<String, NDArray> entry : before.entrySet()) {
                String name = entry.getKey();
                NDArray old = entry.getValue();
                assertEquals(shapes.get(name), after.get(name).getShape(), name);
                if (after.get(name).getDataType() == DataType.FLOAT32) {
                    assertSame(old, after.get(name), name + " is left as it was");
                    keptBytes += shapes.get(name).size() * 4;
                } else {
                    assertTrue(old.isReleased(), name + ": the fp32 array is released");
                }
            }
            assertEquals(keptBytes + (bytesBefore - keptBytes) / 2, bytes(after));
            // nothing the conversion made (host copies, casts) stays with the model
            assertEquals(managed, model.getNDManager().getManagedArrays().size());
            assertEquals("float16", model.getProperty(WeightConversion.PROPERTY));
            assertEquals(DataType.FLOAT16, model.getDataType());

            float[] fp16 = predict(model, x);
            for (float v : fp16) {
                // the head ran in fp16: 11 significant bits at most
                assertEquals(0, Float.floatToRawIntBits(v) & 0x1FFF, "not fp16: " + v);
            }
            assertWithinTolerance(fp32, fp16);
        }
    }

    @ParameterizedTest
    @EnumSource(Net.class)
    void sixteenMixedConvertsTooAndComputesWhatPerCallAutocastComputes(Net net)
            throws TranslateException {
        try (Model perCall = model(net);
                Model converted = model(net);
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList x = new NDList(input(manager, net.input, 1));
            float[] fp32 = predict(converted, x);
            PrecisionBlock kept =
                    PrecisionBlock.wrap(
                            perCall,
                            PrecisionConfig.builder()
                                    .optPrecision("16-mixed")
                                    .optWeightConversion(WeightConversion.NEVER)
                                    .build());
            PrecisionBlock once = PrecisionBlock.wrap(converted, PrecisionConfig.of("16-mixed"));

            assertTrue(kept.getPath().startsWith("native-autocast(cpu, float16"), kept.getPath());
            assertTrue(kept.getPath().endsWith(" over float32 weights"), kept.getPath());
            assertEquals(UNDER_AUTOCAST, once.getPath());
            assertTrue(
                    Fixture.parameterTypes(perCall.getBlock()).values().stream()
                            .allMatch(t -> t == DataType.FLOAT32));
            assertTypes(converted.getBlock(), NORMS);
            // autocast rounds the fp32 weights to fp16 on each call exactly as the conversion did
            float[] perCallOutput = predict(perCall, x);
            assertArrayEquals(perCallOutput, predict(converted, x));
            assertWithinTolerance(fp32, perCallOutput);
        }
    }

    @Test
    void savedConvertedModelLoadsInFp16AndSaysSo()
            throws IOException, MalformedModelException, TranslateException {
        Path dir = Files.createTempDirectory("converted");
        try (Model model = model(Net.CNN);
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList x = new NDList(input(manager, Net.CNN.input, 1));
            model.save(dir, "fp32");
            PrecisionBlock.wrap(model, PrecisionConfig.of("16-true"));
            float[] before = predict(model, x);
            Map<String, DataType> types = Fixture.parameterTypes(model.getBlock());
            model.save(dir, "fp16");
            long fp32Size = Files.size(dir.resolve("fp32-0000.params"));
            long fp16Size = Files.size(dir.resolve("fp16-0000.params"));
            long fp16Bytes =
                    arrays(model.getBlock()).values().stream()
                            .filter(a -> a.getDataType() == DataType.FLOAT16)
                            .mapToLong(a -> a.getShape().size() * 2)
                            .sum();
            // the file holds 2 bytes less per converted value; the new property adds a few
            assertEquals(fp16Bytes, fp32Size - fp16Size, 64, fp16Size + " against " + fp32Size);

            for (String precision : List.of("16-true", "16-mixed")) {
                try (Model loaded = load(dir)) {
                    assertEquals(types, Fixture.parameterTypes(loaded.getBlock()));
                    assertEquals("float16", loaded.getProperty(WeightConversion.PROPERTY));
                    assertEquals(DataType.FLOAT16, loaded.getDataType());
                    PrecisionBlock block =
                            PrecisionBlock.wrap(loaded, PrecisionConfig.of(precision));
                    assertEquals(
                            precision.equals("16-true") ? HALF : UNDER_AUTOCAST, block.getPath());
                    float[] after = predict(loaded, x);
                    if (precision.equals("16-true")) {
                        assertArrayEquals(before, after);
                    }
                }
            }
        }
    }

    private static Model load(Path dir) throws IOException, MalformedModelException {
        Model loaded = Model.newInstance("loaded", Device.cpu(), "PyTorch");
        loaded.setBlock(Net.CNN.block());
        loaded.load(dir, "fp16");
        return loaded;
    }

    @Test
    void aLoadedConvertedModelRefusesFp32UsesClearly() throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("converted");
        try (Model model = model(Net.CNN)) {
            PrecisionBlock.wrap(model, PrecisionConfig.of("16-true"));
            model.save(dir, "fp16");
        }
        try (Model loaded = load(dir)) {
            UnsupportedPrecisionException fp32 =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> PrecisionBlock.wrap(loaded, PrecisionConfig.of("32-true")));
            assertTrue(
                    fp32.getMessage().contains("model property precision.weights=float16"),
                    fp32.getMessage());
            UnsupportedPrecisionException bf16 =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> PrecisionBlock.wrap(loaded, PrecisionConfig.of("bf16-mixed")));
            assertTrue(bf16.getMessage().contains("is float16"), bf16.getMessage());
            UnsupportedPrecisionException training =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    PrecisionTrainer.newTrainer(
                                            loaded,
                                            ClassificationTask.adamConfig(),
                                            PrecisionConfig.of("16-mixed")));
            assertTrue(
                    training.getMessage().contains("16-mixed trains float32 weights"),
                    training.getMessage());
            assertFalse(loaded.getBlock() instanceof PrecisionBlock);
            // unwrapped, fp32 inputs meet fp16 weights in LibTorch: DJL has no hook to check first
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDList x = new NDList(input(manager, Net.CNN.input, 1));
                TranslateException bare =
                        assertThrows(TranslateException.class, () -> predict(loaded, x));
                assertTrue(
                        String.valueOf(bare.getCause().getMessage()).contains("Half"),
                        String.valueOf(bare.getCause()));
            }
        }
    }

    /** Each case: a model, a precision, and what its refusal must name. */
    private record Refusal(Supplier<Model> model, PrecisionConfig config, String reason) {}

    private static Stream<Refusal> refusals() {
        PrecisionConfig bf16Always =
                PrecisionConfig.builder()
                        .optPrecision("bf16-mixed")
                        .optWeightConversion(WeightConversion.ALWAYS)
                        .build();
        PrecisionConfig halfNever =
                PrecisionConfig.builder()
                        .optPrecision("16-true")
                        .optWeightConversion(WeightConversion.NEVER)
                        .build();
        PrecisionConfig mixedAlways =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optWeightConversion(WeightConversion.ALWAYS)
                        .build();
        return Stream.of(
                new Refusal(() -> model(Net.MLP), bf16Always, "cannot hold bfloat16 parameters"),
                new Refusal(() -> model(Net.MLP), halfNever, "weight conversion is NEVER"),
                new Refusal(
                        WeightConversionTest::outOfRange, PrecisionConfig.of("16-true"), "65504"),
                new Refusal(WeightConversionTest::outOfRange, mixedAlways, "65504"),
                new Refusal(WeightConversionTest::bert, PrecisionConfig.of("16-true"), "BertBlock"),
                new Refusal(WeightConversionTest::lstm, PrecisionConfig.of("16-true"), "LSTM"),
                new Refusal(WeightConversionTest::script, mixedAlways, "TorchScript module"));
    }

    @Test
    void refusesWhatCannotBeConvertedWithTheReasonAndLeavesTheModelAsItWas() {
        refusals()
                .forEach(
                        refusal -> {
                            try (Model model = refusal.model().get()) {
                                Map<String, DataType> types =
                                        Fixture.parameterTypes(model.getBlock());
                                UnsupportedPrecisionException e =
                                        assertThrows(
                                                UnsupportedPrecisionException.class,
                                                () -> PrecisionBlock.wrap(model, refusal.config()));
                                assertTrue(
                                        e.getMessage().contains(refusal.reason()),
                                        refusal.reason() + " in: " + e.getMessage());
                                // the reason alone, not its consequence for the parameter types
                                assertFalse(
                                        e.getMessage().contains("DJL cannot convert existing"),
                                        e.getMessage());
                                assertEquals(types, Fixture.parameterTypes(model.getBlock()));
                                assertFalse(model.getBlock() instanceof PrecisionBlock);
                                assertEquals(null, model.getProperty(WeightConversion.PROPERTY));
                            }
                        });
    }

    @Test
    void alwaysRefusesAPluginThatKeepsFp32Weights() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optPluginName("test-no-unscale")
                        .optWeightConversion(WeightConversion.ALWAYS)
                        .build();
        try (Model model = model(Net.MLP)) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> PrecisionBlock.wrap(model, config));
            assertTrue(
                    e.getMessage().contains("test-no-unscale holds float32 ones"), e.getMessage());
            assertFalse(model.getBlock() instanceof PrecisionBlock);
        }
    }

    @Test
    void sixteenMixedKeepsFp32WeightsItCannotConvertAndSaysWhy() throws TranslateException {
        try (Model model = outOfRange();
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed"));
            assertTrue(
                    block.getPath().contains("over float32 weights (not converted: Parameter"),
                    block.getPath());
            assertTrue(block.getPath().contains("65504"), block.getPath());
            assertTrue(
                    Fixture.parameterTypes(model.getBlock()).values().stream()
                            .allMatch(t -> t == DataType.FLOAT32));
            predict(model, new NDList(input(manager, Net.MLP.input, 1)));
        }
    }

    @Test
    void sixteenMixedWithoutAutocastRunsTheConvertedModelAsItIsAndSaysSo()
            throws TranslateException {
        try (Model model = model(Net.TRANSFORMER);
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList x = new NDList(input(manager, Net.TRANSFORMER.input, 1));
            float[] fp32 = predict(model, x);
            PrecisionConfig declined =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            .optNativeAutocast(false)
                            .build();
            PrecisionBlock block = PrecisionBlock.wrap(model, declined);
            assertEquals(
                    HALF + ", no autocast: native autocast declined with optNativeAutocast(false).",
                    block.getPath());
            assertTypes(model.getBlock(), List.of(BatchNorm.class));
            assertWithinTolerance(fp32, predict(model, x));
        }
    }

    @Test
    void bertRunsSixteenMixedOverConvertedWeights() throws TranslateException {
        try (Model model = bert();
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList input = bertInput(manager);
            float[] fp32 = predict(model, input);
            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed"));
            assertEquals(UNDER_AUTOCAST, block.getPath());
            assertWithinTolerance(fp32, predict(model, input));
        }
    }

    /** An MLP whose first weight holds values beyond float16's range. */
    private static Model outOfRange() {
        Model model = model(Net.MLP);
        model.getBlock().getParameters().get("01Linear_weight").getArray().muli(1e6f);
        return model;
    }

    /** DJL's BERT, tiny: its forward makes an fp32 attention mask. */
    private static Model bert() {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        Model model = Model.newInstance("bert", Device.cpu(), "PyTorch");
        Block block =
                BertBlock.builder()
                        .setTokenDictionarySize(50)
                        .optEmbeddingSize(16)
                        .optTransformerBlockCount(1)
                        .optAttentionHeadCount(2)
                        .optHiddenSize(32)
                        .optHiddenDropoutProbability(0f)
                        .optMaxSequenceLength(8)
                        .build();
        model.setBlock(block);
        Shape tokens = new Shape(2, 8);
        block.initialize(model.getNDManager(), DataType.FLOAT32, tokens, tokens, tokens);
        return model;
    }

    /** Token ids, token types and an input mask whose last two positions are padding. */
    private static NDList bertInput(NDManager manager) {
        long[] ids = new long[16];
        long[] mask = new long[16];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7) % 50;
            mask[i] = i % 8 < 6 ? 1 : 0;
        }
        Shape shape = new Shape(2, 8);
        return new NDList(
                manager.create(ids, shape),
                manager.zeros(shape, DataType.INT64),
                manager.create(mask, shape));
    }

    /** DJL's LSTM: its forward makes an fp32 initial state. */
    private static Model lstm() {
        Model model = Model.newInstance("lstm", Device.cpu(), "PyTorch");
        Block block =
                LSTM.builder()
                        .setStateSize(8)
                        .setNumLayers(1)
                        .optReturnState(false)
                        .optBatchFirst(true)
                        .build();
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(2, 5, 16));
        return model;
    }

    /** A Linear, then a stand-in for a TorchScript module (DJL cannot make a .pt file). */
    private static Model script() {
        Model model = Model.newInstance("script", Device.cpu(), "PyTorch");
        Block block =
                new SequentialBlock().add(Linear.builder().setUnits(4).build()).add(new Script());
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, Net.MLP.input);
        return model;
    }

    /** A symbol block, as DJL's {@code PtSymbolBlock} for TorchScript is one. */
    private static final class Script extends AbstractSymbolBlock {

        @Override
        protected NDList forwardInternal(
                ParameterStore parameterStore,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            return inputs;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        public ParameterList getDirectParameters() {
            return new ParameterList();
        }
    }
}

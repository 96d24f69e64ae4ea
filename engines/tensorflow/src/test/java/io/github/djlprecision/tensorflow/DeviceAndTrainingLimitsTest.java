package io.github.djlprecision.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.translate.NoopTranslator;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.proto.ConfigProto;

/** What TensorFlow cannot do here is refused with its reason, never run somewhere else. */
class DeviceAndTrainingLimitsTest {

    @TempDir Path tmp;

    @Test
    void tensorFlowListsOnlyTheCpuOnThisMachine() {
        List<String> devices = TensorFlowDevices.list();
        assertEquals(1, devices.size(), devices.toString());
        assertTrue(devices.get(0).endsWith("/device:CPU:0"), devices.toString());
        assertTrue(TensorFlowDevices.has(Device.cpu()));
        assertFalse(TensorFlowDevices.has(Device.of("tpu", 0)));
    }

    @Test
    void tpuRequestWithoutATpuIsRefused() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> TensorFlowLoadOptions.builder(PrecisionConfig.of("32-true")).optDevice(Device.of("tpu", 0)).build());
        assertTrue(e.getMessage().startsWith("TensorFlow has no device tpu(0) in this process"), e.getMessage());
        assertTrue(e.getMessage().contains("/device:CPU:0"), "names the devices found: " + e.getMessage());
        assertTrue(e.getMessage().contains("libtpu"), e.getMessage());
    }

    @Test
    void bf16OnAMissingTpuListsEveryProblem() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () ->
                                TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-mixed"))
                                        .optDevice(Device.of("tpu", 0))
                                        .build());
        assertEquals(2, e.getProblems().size(), e.getProblems().toString());
        assertTrue(e.getProblems().get(0).contains("no device tpu(0)"));
        assertTrue(e.getProblems().get(1).contains("runs on CPU only"));
    }

    @Test
    void gpuRequestWithoutAGpuIsRefused() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> TensorFlowLoadOptions.builder(PrecisionConfig.of("32-true")).optDevice(Device.gpu(0)).build());
        assertTrue(e.getMessage().contains("no device gpu(0)"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA natives"), e.getMessage());
    }

    @Test
    void precisionsTensorFlowHasNoRewriteForAreRefused() {
        assertRefused("16-mixed", "needs a GPU on TensorFlow");
        assertRefused("16-true", "'16-true' is not supported on TensorFlow");
        assertRefused("64-true", "'64-true' is not supported on TensorFlow");
    }

    /**
     * bf16-true is refused before any model loads: the bfloat16 rewrite keeps float32 ops (the
     * Relu in Bf16InferenceTest's model), so it could only ever run bf16-mixed.
     */
    @Test
    void bf16TrueIsRefusedUpFrontPointingToBf16Mixed() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-true")).build());
        assertEquals(1, e.getProblems().size(), e.getProblems().toString());
        assertTrue(e.getMessage().contains("'bf16-true' is not supported on TensorFlow"), e.getMessage());
        assertTrue(e.getMessage().contains("mixed precision only"), e.getMessage());
        assertTrue(e.getMessage().endsWith("Use 'bf16-mixed'."), e.getMessage());
        // the SPI answers with the same reason
        PluginRequest request =
                new PluginRequest(
                        "TensorFlow",
                        Device.cpu(),
                        PrecisionConfig.builder().optPrecision(Precision.BF16_TRUE).build(),
                        PluginRequest.Purpose.INFERENCE);
        UnsupportedPrecisionException viaSpi =
                assertThrows(UnsupportedPrecisionException.class, () -> PrecisionPlugins.create(request));
        assertEquals(e.getMessage(), viaSpi.getMessage());
    }

    @Test
    void graphPinnedToATpuFailsToLoadInsteadOfRunningOnCpu() throws Exception {
        Path pinned = TinySavedModels.export(tmp.resolve("pinned"), 1, TinySavedModels.Variant.PINNED_TO_TPU);
        TensorFlowLoadOptions fp32 = TensorFlowLoadOptions.builder(PrecisionConfig.of("32-true")).build();
        assertFalse(fp32.getConfigProto().getAllowSoftPlacement());
        Exception e = assertThrows(Exception.class, () -> TinySavedModels.load(pinned, fp32));
        assertTrue(causeChain(e).contains("explicitly assigned to /device:TPU:0"), causeChain(e));
    }

    /** Why soft placement stays off: with it, the same TPU-pinned graph runs on the CPU unnoticed. */
    @Test
    void softPlacementWouldRunTheTpuGraphOnCpuSilently() throws Exception {
        Path pinned = TinySavedModels.export(tmp.resolve("pinned"), 1, TinySavedModels.Variant.PINNED_TO_TPU);
        ConfigProto soft =
                TensorFlowLoadOptions.builder(PrecisionConfig.of("32-true")).build().getConfigProto().toBuilder()
                        .setAllowSoftPlacement(true)
                        .build();
        try (Model model = Model.newInstance("pinned", Device.cpu(), "TensorFlow");
                NDManager manager = NDManager.newBaseManager("TensorFlow")) {
            model.load(pinned, null, Map.of("ConfigProto", soft));
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
                NDList y = predictor.predict(new NDList(TinySavedModels.input(manager)));
                assertEquals(TinySavedModels.BATCH * TinySavedModels.UNITS, y.head().size());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void everyPrecisionFindsTheTensorFlowProvider(Precision precision) {
        PluginRequest request =
                new PluginRequest(
                        "TensorFlow",
                        Device.cpu(),
                        PrecisionConfig.builder().optPrecision(precision).build(),
                        PluginRequest.Purpose.INFERENCE);
        assertInstanceOf(TensorFlowPrecisionProvider.class, PrecisionPlugins.select(request));
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void trainingIsRefusedBeforeAnyWorkForEveryPrecision(Precision precision) throws Exception {
        Path dense = TinySavedModels.export(tmp.resolve("dense"), 1, TinySavedModels.Variant.PLAIN);
        try (ZooModel<NDList, NDList> model =
                TinySavedModels.load(dense, TensorFlowLoadOptions.builder(PrecisionConfig.of("32-true")).build())) {
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss()).optDevices(new Device[] {Device.cpu()});
            PrecisionConfig precisionConfig = PrecisionConfig.builder().optPrecision(precision).build();
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> PrecisionTrainer.newTrainer(model, config, precisionConfig));
            assertTrue(
                    e.getMessage().startsWith("Cannot train in '" + precision + "' on the TensorFlow engine"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("inference-only"), e.getMessage());
        }
    }

    static Precision[] precisions() {
        return Precision.values();
    }

    private static void assertRefused(String precision, String reason) {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> TensorFlowLoadOptions.builder(PrecisionConfig.builder().optPrecision(precision).build()).build());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    private static String causeChain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c).append(" <- ");
        }
        return sb.toString();
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.SequentialBlock;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FallbackTest {

    @AfterEach
    void restoreNativePath() {
        System.clearProperty(PyTorchPrecisionProvider.FORCE_NATIVE_UNAVAILABLE);
    }

    private static void forceNativeUnavailable() {
        System.setProperty(PyTorchPrecisionProvider.FORCE_NATIVE_UNAVAILABLE, "true");
    }

    @Test
    void sixteenMixedTrainsViaO2WhenNativeAutocastIsUnavailableAndSaysWhy() {
        forceNativeUnavailable();
        SequentialBlock block = Fixture.mlp(true);
        try (Model model = Fixture.model(block, 7);
                PrecisionTrainer trainer =
                        Fixture.trainer(model, PrecisionConfig.of("16-mixed"), Fixture.adam());
                NDManager data = NDManager.newBaseManager(Fixture.CPU, "PyTorch")) {
            String path = trainer.getPlugin().getPath();
            assertTrue(path.startsWith("apex-O2("), path);
            assertTrue(path.contains("loss scaling: djl"), path); // no LibTorch kernels either
            assertTrue(path.contains("fallback from native autocast"), path);
            assertTrue(path.contains("forced by system property"), path);
            block.getParameters()
                    .forEach(
                            pair ->
                                    assertEquals(
                                            Fixture.isNormParameter(pair.getKey())
                                                    ? DataType.FLOAT32
                                                    : DataType.FLOAT16,
                                            trainer.getWorkingParameter(pair.getValue())
                                                    .getDataType(),
                                            pair.getKey()));
            Metrics metrics = new Metrics();
            trainer.setMetrics(metrics);
            NDList batch = Fixture.regression(data, 1);
            float first = Fixture.step(trainer, batch.get(0), batch.get(1));
            float last = first;
            for (int i = 0; i < 40; i++) {
                last = Fixture.step(trainer, batch.get(0), batch.get(1));
            }
            assertTrue(last < first / 5, "O2 fallback loss " + first + " -> " + last);
            List<Metric> reported = metrics.getMetric(PrecisionTrainer.METRIC_PATH);
            assertEquals(41, reported.size());
            assertEquals("path", reported.get(0).getDimensions()[0].getName());
            assertEquals(path, reported.get(0).getDimensions()[0].getValue());
        }
    }

    @Test
    void decliningNativeAutocastFallsBackToO2WithTheFusedKernels() {
        PrecisionConfig declined =
                PrecisionConfig.builder().optPrecision("16-mixed").optNativeAutocast(false).build();
        try (Model model = Fixture.model(Fixture.mlp(false), 7);
                PrecisionTrainer trainer = Fixture.trainer(model, declined, Fixture.adam())) {
            String path = trainer.getPlugin().getPath();
            assertTrue(path.startsWith("apex-O2("), path);
            assertTrue(path.contains("loss scaling: fused"), path);
            assertTrue(path.contains("declined with optNativeAutocast(false)"), path);
        }
    }

    @Test
    void explicitO1NeedsNativeAutocastAndPointsToO2() {
        forceNativeUnavailable();
        PrecisionConfig o1 =
                PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O1").build();
        try (Model model = Fixture.model(Fixture.mlp(false), 7)) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> Fixture.trainer(model, o1, Fixture.adam()));
            assertTrue(e.getMessage().contains("amp_level O1 needs LibTorch's native autocast"));
            assertTrue(e.getMessage().contains("Use amp_level O2"), e.getMessage());
        }
    }

    @Test
    void bf16MixedHasNoFallbackAndIsRefused() {
        forceNativeUnavailable();
        try (Model model = Fixture.model(Fixture.mlp(false), 7)) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    Fixture.trainer(
                                            model, PrecisionConfig.of("bf16-mixed"), Fixture.adam()));
            assertTrue(e.getMessage().contains("forced by system property"), e.getMessage());
        }
    }

    /** O1 is native 16-mixed: fp32 parameters and gradients, linear layers computing in fp16. */
    @Test
    void apexO1IsNativeAutocastAndTrains() {
        SequentialBlock block = Fixture.mlp(false);
        PrecisionConfig o1 =
                PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O1").build();
        try (Model model = Fixture.model(block, 7);
                PrecisionTrainer trainer = Fixture.trainer(model, o1, Fixture.adam());
                NDManager data = NDManager.newBaseManager(Fixture.CPU, "PyTorch")) {
            assertTrue(
                    trainer.getPlugin().getPath().startsWith("apex-O1 native-autocast(cpu, float16"),
                    trainer.getPlugin().getPath());
            NDList batch = Fixture.regression(data, 1);
            Fixture.parameterTypes(block)
                    .forEach((name, type) -> assertEquals(DataType.FLOAT32, type, name));
            // Linear, ReLU, Linear, ReLU, Linear
            assertEquals(
                    List.of(
                            DataType.FLOAT16,
                            DataType.FLOAT16,
                            DataType.FLOAT16,
                            DataType.FLOAT16,
                            DataType.FLOAT16),
                    Fixture.layerOutputTypes(trainer, block, batch.get(0)));
            assertEquals(DataType.FLOAT32, Fixture.outputType(trainer, batch.get(0)));
            Fixture.forwardBackward(trainer, batch.get(0), batch.get(1));
            Fixture.gradientTypes(block)
                    .forEach((name, type) -> assertEquals(DataType.FLOAT32, type, name));
            trainer.step();
            float first = Fixture.step(trainer, batch.get(0), batch.get(1));
            float last = first;
            for (int i = 0; i < 40; i++) {
                last = Fixture.step(trainer, batch.get(0), batch.get(1));
            }
            assertTrue(last < first / 5, "O1 loss " + first + " -> " + last);
        }
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.SequentialBlock;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TruePrecisionTest {

    /** Asserts every parameter, layer output and gradient is of one type, and the final output. */
    private static void assertAllOfType(
            PrecisionConfig precision, DataType expected, DataType expectedOutput) {
        SequentialBlock block = Fixture.mlp(true);
        try (Model model = Fixture.model(block, 7);
                PrecisionTrainer trainer = Fixture.trainer(model, precision, Fixture.adamForFp16());
                NDManager data = NDManager.newBaseManager(Fixture.CPU, "PyTorch")) {
            NDList batch = Fixture.regression(data, 1);
            Map<String, DataType> parameters = Fixture.parameterTypes(block);
            assertEquals(12, parameters.size(), parameters.toString());
            parameters.forEach((name, type) -> assertEquals(expected, type, name));
            List<DataType> layers = Fixture.layerOutputTypes(trainer, block, batch.get(0));
            assertEquals(7, layers.size());
            layers.forEach(type -> assertEquals(expected, type, layers.toString()));
            assertEquals(expectedOutput, Fixture.outputType(trainer, batch.get(0)));
            Fixture.forwardBackward(trainer, batch.get(0), batch.get(1));
            Map<String, DataType> gradients = Fixture.gradientTypes(block);
            assertEquals(10, gradients.size(), gradients.toString()); // running stats have none
            gradients.forEach((name, type) -> assertEquals(expected, type, name));
            trainer.step();
            parameters.forEach(
                    (name, type) ->
                            assertEquals(expected, Fixture.parameterTypes(block).get(name), name));
        }
    }

    @Test
    void halfTrueKeepsEverythingInFloat16AndHandsTheLossFloat32() {
        assertAllOfType(PrecisionConfig.of("16-true"), DataType.FLOAT16, DataType.FLOAT32);
    }

    @Test
    void doubleTrueKeepsEverythingInFloat64IncludingTheOutput() {
        assertAllOfType(PrecisionConfig.of("64-true"), DataType.FLOAT64, DataType.FLOAT64);
    }

    @Test
    void apexO0IsFloat32() {
        assertAllOfType(
                PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O0").build(),
                DataType.FLOAT32,
                DataType.FLOAT32);
    }

    @Test
    void apexO3IsPureFloat16NormLayersIncluded() {
        assertAllOfType(
                PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O3").build(),
                DataType.FLOAT16,
                DataType.FLOAT32);
    }

    @Test
    void doubleTrueTrains() {
        try (Model model = Fixture.model(Fixture.mlp(false), 7);
                PrecisionTrainer trainer =
                        Fixture.trainer(model, PrecisionConfig.of("64-true"), Fixture.adam());
                NDManager data = NDManager.newBaseManager(Fixture.CPU, "PyTorch")) {
            NDList batch = Fixture.regression(data, 1);
            float first = Fixture.step(trainer, batch.get(0), batch.get(1));
            float last = first;
            for (int i = 0; i < 60; i++) {
                last = Fixture.step(trainer, batch.get(0), batch.get(1));
            }
            assertTrue(last < first / 5, "64-true loss " + first + " -> " + last);
            assertEquals("true(float64)", trainer.getPlugin().getPath());
        }
    }

    @Test
    void parametersThatAlreadyExistInFloat32AreRefusedNotSilentlyTrainedInFloat32() {
        SequentialBlock block = Fixture.mlp(false);
        try (Model model = Fixture.model(block, 7)) {
            Fixture.trainer(model, PrecisionConfig.of("32-true"), Fixture.adam()).close();
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    Fixture.trainer(
                                            model, PrecisionConfig.of("16-true"), Fixture.adam()));
            assertTrue(e.getMessage().contains("already exists in float32"), e.getMessage());
        }
    }

    @Test
    void bf16TrueIsRefusedWithItsReasonAndTheProcessExitsNormally() throws Exception {
        Child child = runChild("refuse");
        assertEquals(0, child.exitCode, child.output);
        assertTrue(child.output.contains("REFUSED: "), child.output);
        assertTrue(child.output.contains(PyTorchPrecisionProvider.BF16_TRUE_UNSUPPORTED), child.output);
    }

    /** Why bf16-true is refused: DJL's optimizers would create their state with this call. */
    @Test
    void djlZerosLikeOnABf16ArrayAbortsTheJvm() throws Exception {
        Child child = runChild("premise");
        assertTrue(child.output.contains("bf16 array reads as unknown"), child.output);
        assertTrue(!child.output.contains("ZEROS_LIKE_RETURNED"), child.output);
        assertNotEquals(0, child.exitCode, child.output);
    }

    private record Child(int exitCode, String output) {}

    private static Child runChild(String mode) throws IOException, InterruptedException {
        ChildJvm.Result result =
                ChildJvm.run(
                        120,
                        List.of("-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"),
                        Bf16TrueChild.class,
                        mode);
        return new Child(result.exitCode(), result.output());
    }
}

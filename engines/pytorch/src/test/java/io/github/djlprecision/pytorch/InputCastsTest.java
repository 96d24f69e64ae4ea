package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Input casts of the true modes and Apex O2 never change whole-number data silently. */
class InputCastsTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static NDArray floats(float... values) {
        return manager.create(values);
    }

    @Test
    void wholeNumbersFloat16CannotHoldAreRefusedWithTheLimit() {
        NDArray ids = floats(3, 2049, 70000);
        ids.setName("ids");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> InputCasts.toFloating(new NDList(ids), DataType.FLOAT16));
        assertTrue(
                e.getMessage().startsWith("Input 0 ('ids') holds whole numbers up to 70000"),
                e.getMessage());
        assertTrue(e.getMessage().contains("float16 cannot hold all of them"), e.getMessage());
        assertTrue(e.getMessage().contains("only up to 2048"), e.getMessage());
        assertTrue(e.getMessage().contains("INT32 or INT64 inputs pass unchanged"), e.getMessage());
    }

    @Test
    void wholeNumbersFloat16HoldsExactlyPass() {
        // every whole number up to 2048, and even ones up to 4096, are exact in fp16
        float[] values = {0, 1, 2047, 2048, 4094, 4096, -4096};
        NDArray cast = InputCasts.toFloating(new NDList(floats(values)), DataType.FLOAT16).head();
        assertEquals(DataType.FLOAT16, cast.getDataType());
        assertArrayEquals(values, cast.toType(DataType.FLOAT32, false).toFloatArray());
    }

    @Test
    void fractionalValuesAreRoundedAsTheTypeMeans() {
        NDArray cast =
                InputCasts.toFloating(new NDList(floats(0.1f, 2049.5f, -3.3f)), DataType.FLOAT16)
                        .head();
        assertEquals(DataType.FLOAT16, cast.getDataType());
    }

    @Test
    void fractionalValuesBeyondFloat16sRangeOverflowAsApexDoes() {
        NDArray cast =
                InputCasts.toFloating(new NDList(floats(1, 0.5f, 1e5f)), DataType.FLOAT16).head();
        assertEquals(Float.POSITIVE_INFINITY, cast.toType(DataType.FLOAT32, false).getFloat(2));
    }

    @Test
    void infinityAndNaNStayWhatTheyAre() {
        NDArray cast =
                InputCasts.toFloating(
                                new NDList(floats(Float.POSITIVE_INFINITY, Float.NaN, 3)),
                                DataType.FLOAT16)
                        .head();
        float[] back = cast.toType(DataType.FLOAT32, false).toFloatArray();
        assertEquals(Float.POSITIVE_INFINITY, back[0]);
        assertTrue(Float.isNaN(back[1]));
    }

    @Test
    void integerArraysPassUnchangedAndWideningIsNotChecked() {
        NDArray ids = manager.create(new long[] {70000, 3});
        assertSame(ids, InputCasts.toFloating(new NDList(ids), DataType.FLOAT16).head());
        NDArray wide = InputCasts.toFloating(new NDList(floats(70000, 3)), DataType.FLOAT64).head();
        assertEquals(70000.0, wide.getDouble(0));
    }

    @Test
    void float64WholeNumbersBeyondFloat32AreRefusedForApexO0() {
        NDArray big = manager.create(new double[] {16_777_217, 1});
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> InputCasts.toFloating(new NDList(big), DataType.FLOAT32));
        assertTrue(e.getMessage().contains("only up to 16777216"), e.getMessage());
    }

    @Test
    void theTrainerRefusesTheBatchBeforeTheForwardPass() {
        try (Model model = ClassificationTask.mlp("ids");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                ClassificationTask.adamConfigForFp16(),
                                PrecisionConfig.of("16-true"))) {
            trainer.initialize(Runs.inputShape());
            NDArray ids =
                    trainer.getManager()
                            .arange(Runs.BATCH * ClassificationTask.FEATURES)
                            .toType(DataType.FLOAT32, false)
                            .add(3000f)
                            .reshape(new Shape(Runs.BATCH, ClassificationTask.FEATURES));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> trainer.forward(new NDList(ids)));
            assertTrue(e.getMessage().contains("holds whole numbers up to 3127"), e.getMessage());
        }
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.WeightConversion;
import io.github.djlprecision.inference.PrecisionBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Inference in 16 bits through DJL's own Predictor. */
class PrecisionBlockTest {

    private static final Shape INPUT = new Shape(8, ClassificationTask.FEATURES);

    private static Model initializedMlp() {
        Model model = ClassificationTask.mlp("inference");
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, INPUT);
        return model;
    }

    private static float[] predict(Model model, NDArray x) throws TranslateException {
        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
            NDArray out = predictor.predict(new NDList(x)).head();
            assertEquals(DataType.FLOAT32, out.getDataType(), "the translator sees fp32");
            return out.toFloatArray();
        }
    }

    @Test
    void predictorComputesInHalfPrecisionAndStaysCloseToFp32() throws TranslateException {
        try (Model model = initializedMlp();
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = manager.randomNormal(INPUT);
            float[] fp32 = predict(model, x);
            PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed"));
            float[] fp16 = predict(model, x);
            for (int i = 0; i < fp16.length; i++) {
                // the last Linear ran in fp16: every value has fp16's 11 significant bits at most
                assertEquals(0, Float.floatToRawIntBits(fp16[i]) & 0x1FFF, "not fp16: " + fp16[i]);
                assertEquals(fp32[i], fp16[i], 2e-2f + 1e-2f * Math.abs(fp32[i]));
            }
            assertNotEquals(java.util.Arrays.toString(fp32), java.util.Arrays.toString(fp16));
        }
    }

    @Test
    void bf16PredictionsAreBf16ExactAndSafe() throws TranslateException {
        try (Model model = initializedMlp();
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = manager.randomNormal(INPUT);
            float[] fp32 = predict(model, x);
            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of("bf16-mixed"));
            assertTrue(block.getPlugin().getPath().contains("bfloat16"), block.getPlugin().getPath());
            float[] bf16 = predict(model, x);
            for (int i = 0; i < bf16.length; i++) {
                assertEquals(0, Float.floatToRawIntBits(bf16[i]) & 0xFFFF, "not bf16: " + bf16[i]);
                assertEquals(fp32[i], bf16[i], 5e-2f + 2e-2f * Math.abs(fp32[i]));
            }
        }
    }

    @Test
    void parametersKeepTheirNamesThroughSaveAndLoad() throws IOException, MalformedModelException, TranslateException {
        Path dir = Files.createTempDirectory("precision-block");
        try (Model model = initializedMlp();
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = manager.randomNormal(INPUT);
            PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed"));
            float[] before = predict(model, x);
            model.save(dir, "wrapped");
            try (Model loaded = ClassificationTask.mlp("inference")) {
                loaded.load(dir, "wrapped");
                PrecisionBlock.wrap(loaded, PrecisionConfig.of("16-mixed"));
                assertArrayEquals(before, predict(loaded, x));
            }
        }
    }

    @Test
    void refusesWhatItCannotRunWithAClearError() {
        try (Model model = ClassificationTask.mlp("uninitialized")) {
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed")));
            assertTrue(e.getMessage().contains("before wrapping"), e.getMessage());
        }
        try (Model model = initializedMlp()) {
            // fp32 parameters that may not be converted cannot run 16-true
            PrecisionConfig never = PrecisionConfig.builder().optPrecision("16-true").optWeightConversion(WeightConversion.NEVER).build();
            assertThrows(UnsupportedPrecisionException.class, () -> PrecisionBlock.wrap(model, never));
            PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed"));
            IllegalStateException twice =
                    assertThrows(IllegalStateException.class, () -> PrecisionBlock.wrap(model, PrecisionConfig.of("bf16-mixed")));
            assertTrue(twice.getMessage().contains("already runs in 16-mixed"), twice.getMessage());
        }
    }
}

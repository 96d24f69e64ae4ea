package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A precision the core does not know, contributed by one test provider ({@link
 * ContributedPrecisionProvider}), parses, carries its metadata and trains through {@code
 * PrecisionTrainer} like a built-in one.
 */
class ContributedPrecisionTest {

    private static final Precision CONTRIBUTED = ContributedPrecisionProvider.TEST_MIXED;

    @Test
    void parsesByValueAndAliasWithItsMetadata() {
        assertSame(CONTRIBUTED, Precision.parse("16-test-mixed"));
        assertSame(CONTRIBUTED, Precision.parse("16tm"));
        assertTrue(List.of(Precision.values()).contains(CONTRIBUTED));
        assertEquals("16_TEST_MIXED", CONTRIBUTED.name());
        assertTrue(CONTRIBUTED.isMixed());
        assertTrue(CONTRIBUTED.usesLossScaling());
        // declared faster than bf16-mixed, which falls back to 32-true
        assertEquals(
                List.of(Precision.BF16_MIXED, Precision.FLOAT_TRUE),
                CONTRIBUTED.saferAlternatives());
    }

    @Test
    void trainsThroughPrecisionTrainer() throws IOException, TranslateException {
        try (Model model = ClassificationTask.mlp("contributed");
                NDManager manager = NDManager.newBaseManager();
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                ClassificationTask.adamConfig()
                                        .addTrainingListeners(TrainingListener.Defaults.basic()),
                                PrecisionConfig.of("16-test-mixed"))) {
            assertSame(CONTRIBUTED, trainer.getPlugin().getPrecision());
            assertEquals("test-autocast(float16, loss scaling)", trainer.getPlugin().getPath());
            trainer.initialize(new Shape(32, ClassificationTask.FEATURES));
            ArrayDataset data = ClassificationTask.blobs(manager, 256, 32);
            EasyTrain.fit(trainer, 2, data, null);
            // the loss scaler ran: the first steps at 2^16 overflow and back the scale off
            float scale = trainer.getLastOutcome().orElseThrow().lossScale();
            assertEquals(65536f / (1 << trainer.getSkippedSteps()), scale);
            // below chance level, ln(4): it learned
            assertTrue(trainer.getTrainingResult().getTrainLoss() < 1.38f);
            for (var parameter : model.getBlock().getParameters().values()) {
                assertEquals(DataType.FLOAT32, parameter.getArray().getDataType());
            }
            trainer.writeCheckpointState();
            assertEquals("16-test-mixed", model.getProperty("precision.value"));
        }
    }
}

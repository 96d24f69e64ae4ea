package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.training.DefaultTrainingConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code step()} twice after one backward pass is refused, as torch's {@code GradScaler.step}
 * refuses it: before, the second step counted a second applied step, advanced the growth tracker
 * and, with Adam, moved the weights again on the same gradients.
 */
class RepeatedStepTest {

    @ParameterizedTest
    @CsvSource({"16-mixed, adam", "16-mixed, sgd", "32-true, adam", "bf16-mixed, adam"})
    void aSecondStepWithoutBackwardIsRefusedAndChangesNothing(String precision, String optimizer) {
        DefaultTrainingConfig config =
                optimizer.equals("adam") ? ClassificationTask.adamConfig() : CheckpointResumeTest.sgd();
        try (Model model = ClassificationTask.mlp("twice");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of(precision))) {
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, Runs.Batch.NORMAL);
            float[] weights = Runs.flatWeights(model);
            String tracker = model.getProperty("precision.scaler.growth_tracker");
            IllegalStateException e = assertThrows(IllegalStateException.class, trainer::step);
            assertTrue(
                    e.getMessage().startsWith("step() without a backward pass since the last step"),
                    e.getMessage());
            assertArrayEquals(weights, Runs.flatWeights(model));
            assertEquals(1, trainer.getStepCount());
            assertEquals(tracker, model.getProperty("precision.scaler.growth_tracker"));
            // the next forward, backward and step train as before
            Runs.step(trainer, 1, Runs.Batch.NORMAL);
            assertEquals(2, trainer.getStepCount());
        }
    }
}

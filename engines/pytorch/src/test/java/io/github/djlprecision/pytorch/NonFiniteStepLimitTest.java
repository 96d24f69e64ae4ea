package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.TrainingDivergedException;
import ai.djl.engine.Engine;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A precision without loss scaling skips every step whose gradients hold inf or NaN, counts it and
 * tells the listeners; after {@code optNonFiniteStepLimit} such steps in a row it stops with an
 * error naming the steps and what to do, since it has no loss scale to lower. A finite step in
 * between starts the count again; 0 switches the limit off.
 */
class NonFiniteStepLimitTest {

    @ParameterizedTest
    @ValueSource(strings = {"16-true", "bf16-mixed", "32-true"})
    void theLimitStopsAPrecisionWithoutLossScaling(String precision) {
        PrecisionConfig config =
                PrecisionConfig.builder().optPrecision(precision).optNonFiniteStepLimit(3).build();
        Runs.Recorder recorder = new Runs.Recorder();
        try (Model model = model();
                PrecisionTrainer trainer = trainer(model, config, recorder)) {
            Runs.step(trainer, 0, Runs.Batch.NORMAL);
            List<byte[]> before = weightBytes(model);
            Runs.step(trainer, 1, Runs.Batch.INF);
            Runs.step(trainer, 2, Runs.Batch.INF);
            // a finite step resets the count
            Runs.step(trainer, 3, Runs.Batch.NORMAL);
            Runs.step(trainer, 4, Runs.Batch.INF);
            Runs.step(trainer, 5, Runs.Batch.INF);
            List<byte[]> beforeLimit = weightBytes(model);
            TrainingDivergedException e =
                    assertThrows(
                            TrainingDivergedException.class,
                            () -> Runs.step(trainer, 6, Runs.Batch.INF));
            assertTrue(e.getMessage().contains("Steps 4 to 6 (3 in a row)"), e.getMessage());
            assertTrue(e.getMessage().contains(precision), e.getMessage());
            assertTrue(e.getMessage().contains("optNonFiniteStepLimit"), e.getMessage());
            assertEquals(5, trainer.getSkippedSteps());
            assertEquals(List.of(1L, 2L, 4L, 5L, 6L), recorder.skippedSteps);
            assertEquals(7, trainer.getStepCount());
            List<byte[]> after = weightBytes(model);
            for (int i = 0; i < after.size(); i++) {
                assertArrayEquals(beforeLimit.get(i), after.get(i), "the failing step applied");
            }
            assertTrue(before.size() == after.size());
            // the trainer stays usable, the error comes once
            Runs.step(trainer, 7, Runs.Batch.NORMAL);
        }
    }

    @Test
    void zeroSwitchesTheLimitOff() {
        PrecisionConfig config =
                PrecisionConfig.builder().optPrecision("32-true").optNonFiniteStepLimit(0).build();
        try (Model model = model();
                PrecisionTrainer trainer = trainer(model, config, new Runs.Recorder())) {
            Runs.step(trainer, 0, Runs.Batch.NORMAL);
            for (int step = 1; step <= 5; step++) {
                Runs.step(trainer, step, Runs.Batch.INF);
            }
            assertEquals(5, trainer.getSkippedSteps());
        }
    }

    @Test
    void theDefaultIsAHundred() {
        assertEquals(100, PrecisionConfig.of("16-true").getNonFiniteStepLimit());
    }

    private static Model model() {
        Engine.getEngine("PyTorch").setRandomSeed(7);
        Model model = Model.newInstance("limit", Device.cpu(), "PyTorch");
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(16).build())
                        .add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(ClassificationTask.CLASSES).build()));
        return model;
    }

    private static PrecisionTrainer trainer(
            Model model, PrecisionConfig precision, Runs.Recorder recorder) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(
                                Optimizer.sgd()
                                        .setLearningRateTracker(Tracker.fixed(0.05f))
                                        .build())
                        .optDevices(new Device[] {Device.cpu()})
                        .addTrainingListeners(recorder);
        PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision);
        trainer.initialize(Runs.inputShape());
        return trainer;
    }

    private static List<byte[]> weightBytes(Model model) {
        List<byte[]> values = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            values.add(parameter.getArray().toByteArray());
        }
        return values;
    }
}

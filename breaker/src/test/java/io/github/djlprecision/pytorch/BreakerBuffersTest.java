package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Through the circuit breaker, an overflowing fp16 batch is skipped and leaves BatchNorm's running
 * statistics as they were; before, they became inf or NaN and the model the breaker handed back
 * after its fallback predicted nonsense.
 */
class BreakerBuffersTest {

    @Test
    void aSkippedStepUnderTheBreakerKeepsTheRunningStatistics() {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = Model.newInstance("breaker-buffers", Device.cpu(), "PyTorch")) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(32).build())
                            .add(BatchNorm.builder().build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(ClassificationTask.CLASSES).build()));
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
                trainer.initialize(Runs.inputShape());
                Runs.step(trainer, 0, Runs.Batch.NORMAL);
                List<double[]> before = runningStatistics(model);
                Runs.step(trainer, 1, Runs.Batch.FP16_OVERFLOW);
                assertFalse(trainer.getLastOutcome().orElseThrow().applied());
                List<double[]> after = runningStatistics(model);
                for (int i = 0; i < before.size(); i++) {
                    assertArrayEquals(before.get(i), after.get(i));
                }
            }
        }
    }

    private static List<double[]> runningStatistics(Model model) {
        List<double[]> values = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            if (parameter.getType() == Parameter.Type.RUNNING_MEAN
                    || parameter.getType() == Parameter.Type.RUNNING_VAR) {
                values.add(parameter.getArray().toType(DataType.FLOAT64, false).toDoubleArray());
            }
        }
        assertEquals(2, values.size());
        return values;
    }
}

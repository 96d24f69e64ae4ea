package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A skipped step leaves BatchNorm's running mean and variance as they were before its forward
 * pass, in every recipe that skips steps (the loss-scaled ones: 16-mixed, Apex O1 and O2; the
 * breaker's own test covers a fallback), with DJL's optimizers and with LibTorch's fused SGD
 * (which skips on the device without reading the flag). Before, an overflowing fp16 forward wrote inf or NaN into them
 * although the step was skipped, and every later prediction was wrong.
 */
class SkippedStepBuffersTest {

    static Stream<Arguments> recipes() {
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
        return Stream.of(
                Arguments.of(mixed("16-mixed", null), adam, Runs.Batch.FP16_OVERFLOW),
                Arguments.of(mixed("16-mixed", null), sgd, Runs.Batch.FP16_OVERFLOW),
                Arguments.of(mixed("16-mixed", "O1"), adam, Runs.Batch.FP16_OVERFLOW),
                Arguments.of(mixed("16-mixed", "O2"), sgd, Runs.Batch.FP16_OVERFLOW),
                Arguments.of(mixed("16-mixed", "O2"), adam, Runs.Batch.INF));
    }

    private static PrecisionConfig mixed(String precision, String ampLevel) {
        PrecisionConfig.Builder builder = PrecisionConfig.builder();
        if (ampLevel != null) {
            builder.optAmpLevel(ampLevel);
        }
        return builder.optPrecision(precision)
                .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                .build();
    }

    @ParameterizedTest
    @MethodSource("recipes")
    void aSkippedStepKeepsTheRunningStatistics(
            PrecisionConfig precision, Optimizer optimizer, Runs.Batch overflow) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(optimizer)
                        .optDevices(new Device[] {Device.cpu()});
        try (Model model = Model.newInstance("buffers", Device.cpu(), "PyTorch")) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(32).build())
                            .add(BatchNorm.builder().build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(ClassificationTask.CLASSES).build()));
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(Runs.inputShape());
                Runs.step(trainer, 0, Runs.Batch.NORMAL);
                List<double[]> before = runningStatistics(model);
                float[] weights = Runs.flatWeights(model);
                Runs.step(trainer, 1, overflow);
                assertEquals(1, trainer.getSkippedSteps(), trainer.getPlugin().getPath());
                List<double[]> after = runningStatistics(model);
                for (int i = 0; i < before.size(); i++) {
                    assertArrayEquals(before.get(i), after.get(i), trainer.getPlugin().getPath());
                }
                assertArrayEquals(weights, Runs.flatWeights(model));
                // an applied step still updates them, to finite values
                Runs.step(trainer, 2, Runs.Batch.NORMAL);
                List<double[]> next = runningStatistics(model);
                assertFalse(java.util.Arrays.equals(before.get(0), next.get(0)));
                for (double[] values : next) {
                    for (double value : values) {
                        assertTrue(Double.isFinite(value), trainer.getPlugin().getPath());
                    }
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

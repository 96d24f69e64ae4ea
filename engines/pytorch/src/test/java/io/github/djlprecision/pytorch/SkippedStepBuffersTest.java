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
 * pass, in every recipe (the loss-scaled ones: 16-mixed, Apex O1 and O2; those the trainer checks
 * with an inverse scale of 1: 16-true, Apex O3, bf16-mixed, 32-true; the breaker's own test covers
 * a fallback), with DJL's optimizers and with LibTorch's fused SGD (which skips on the device
 * without reading the flag). Before, an overflowing fp16 forward wrote inf or NaN into them
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
                Arguments.of(mixed("16-mixed", "O2"), adam, Runs.Batch.INF),
                // without loss scaling: the trainer's own check; SGD is fused in 32-true
                Arguments.of(mixed("16-true", null), sgd, Runs.Batch.FP16_OVERFLOW),
                Arguments.of(mixed("16-mixed", "O3"), sgd, Runs.Batch.INF),
                Arguments.of(mixed("bf16-mixed", null), adam, Runs.Batch.INF),
                Arguments.of(mixed("32-true", null), sgd, Runs.Batch.INF),
                Arguments.of(mixed("32-true", null), adam, Runs.Batch.INF));
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
                List<byte[]> weights = weightBytes(model);
                Runs.step(trainer, 1, overflow);
                assertEquals(1, trainer.getSkippedSteps(), trainer.getPlugin().getPath());
                List<double[]> after = runningStatistics(model);
                for (int i = 0; i < before.size(); i++) {
                    assertArrayEquals(before.get(i), after.get(i), trainer.getPlugin().getPath());
                }
                List<byte[]> kept = weightBytes(model);
                for (int i = 0; i < weights.size(); i++) {
                    assertArrayEquals(weights.get(i), kept.get(i), trainer.getPlugin().getPath());
                }
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

    /** Every parameter's bytes, whatever its type (16-true's are fp16). */
    private static List<byte[]> weightBytes(Model model) {
        List<byte[]> values = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            values.add(parameter.getArray().toByteArray());
        }
        return values;
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

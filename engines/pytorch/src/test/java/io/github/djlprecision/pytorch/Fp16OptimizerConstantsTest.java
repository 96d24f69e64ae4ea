package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.metric.Metric;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, case 4: the README's quick start (Adam with DJL's defaults) in {@code 16-true} and
 * Apex O3, where DJL's optimizers update fp16 parameters in fp16 and the default epsilon 1e-8 is
 * 0. The trainer refuses before the first step and says how to fix it; with the fix it trains.
 */
class Fp16OptimizerConstantsTest {

    static final List<PrecisionConfig> PURE_FP16 =
            List.of(
                    PrecisionConfig.of("16-true"),
                    PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O3").build());

    /** The README's model. */
    static Model quickStartModel() {
        ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed(42);
        Model model = Model.newInstance("mlp", Device.cpu(), "PyTorch");
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(64).build())
                        .add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(4).build()));
        return model;
    }

    static DefaultTrainingConfig config(Optimizer optimizer) {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(optimizer)
                .optDevices(new Device[] {Device.cpu()});
    }

    /**
     * The control, in plain DJL: Adam on an fp16 weight with a gradient of 1e-3, whose squared
     * value times (1 - beta2) underflows fp16. With the default epsilon the first update divides
     * by 0; with 1e-4 it is finite.
     */
    @Test
    void djlAdamOnFp16WithTheDefaultEpsilonWritesInfinity() {
        for (Map.Entry<Float, Boolean> run : Map.of(1e-8f, false, 1e-4f, true).entrySet()) {
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDArray weight = manager.create(new float[] {1f}).toType(DataType.FLOAT16, false);
                NDArray gradient = manager.create(new float[] {1e-3f}).toType(DataType.FLOAT16, false);
                Optimizer.adam().optEpsilon(run.getKey()).build().update("w", weight, gradient);
                float updated = weight.toType(DataType.FLOAT32, false).getFloat();
                assertEquals(run.getValue(), Float.isFinite(updated), "eps " + run.getKey() + ": " + updated);
            }
        }
    }

    @Test
    void theQuickStartsAdamIsRefusedBeforeTheFirstStepWithTheFix() {
        for (PrecisionConfig precision : PURE_FP16) {
            for (Optimizer optimizer :
                    List.of(
                            Optimizer.adam().build(),
                            Optimizer.adamW().build(),
                            Optimizer.adagrad().build(),
                            Optimizer.rmsprop().build(),
                            Optimizer.adadelta().build())) {
                try (Model model = quickStartModel()) {
                    ManagerTree before = ManagerTree.of(model.getNDManager());
                    UnsupportedPrecisionException e =
                            assertThrows(
                                    UnsupportedPrecisionException.class,
                                    () -> PrecisionTrainer.newTrainer(model, config(optimizer), precision));
                    String name = optimizer.getClass().getSimpleName();
                    assertTrue(e.getMessage().contains(name + "'s epsilon 1.0E-8 is 0 in float16"), e.getMessage());
                    assertTrue(e.getMessage().contains("optEpsilon(1e-4f)"), e.getMessage());
                    assertTrue(e.getMessage().contains("'16-mixed' or amp_level O2"), e.getMessage());
                    assertEquals(before, ManagerTree.of(model.getNDManager()), name);
                }
            }
        }
    }

    /** With the fix the quick start trains in pure fp16: finite, and the loss falls epoch by epoch. */
    @Test
    void theQuickStartWithTheFixTrainsInPureFp16() throws Exception {
        for (PrecisionConfig precision : PURE_FP16) {
            for (float epsilon : new float[] {1e-4f, 1e-6f}) {
                try (Model model = quickStartModel();
                        NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                        PrecisionTrainer trainer =
                                PrecisionTrainer.newTrainer(
                                        model,
                                        config(Optimizer.adam().optEpsilon(epsilon).build())
                                                .addTrainingListeners(
                                                        TrainingListener.Defaults.basic()),
                                        precision)) {
                    trainer.initialize(new Shape(1, 16));
                    EasyTrain.fit(trainer, 3, ClassificationTask.blobs(data, 256, 32), null);
                    List<Metric> losses =
                            trainer.getMetrics().getMetric("train_epoch_SoftmaxCrossEntropyLoss");
                    String what = precision + " eps " + epsilon + ": " + losses;
                    assertEquals(3, losses.size(), what);
                    for (int i = 1; i < 3; i++) {
                        double loss = losses.get(i).getValue();
                        assertTrue(Double.isFinite(loss) && loss < losses.get(i - 1).getValue(), what);
                    }
                    assertTrue(Runs.allFinite(Runs.flatWeights(model)), what);
                }
            }
        }
    }

    @Test
    void recipesWithFloat32OptimizerStateAcceptTheDefaults() {
        for (String setting : List.of("16-mixed", "bf16-mixed", "32-true", "64-true")) {
            try (Model model = quickStartModel();
                    PrecisionTrainer trainer =
                            PrecisionTrainer.newTrainer(model, config(Optimizer.adam().build()), PrecisionConfig.of(setting))) {
                assertFalse(trainer.getPlugin().getPath().isEmpty());
            }
        }
        try (Model model = quickStartModel();
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                config(Optimizer.adam().build()),
                                PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O2").build())) {
            assertTrue(trainer.getPlugin().getPath().startsWith("apex-O2"));
        }
        // SGD has no epsilon
        try (Model model = quickStartModel();
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config(Optimizer.sgd().setLearningRateTracker(ai.djl.training.tracker.Tracker.fixed(0.1f)).build()), PrecisionConfig.of("16-true"))) {
            assertEquals("true(float16)", trainer.getPlugin().getPath());
        }
    }
}

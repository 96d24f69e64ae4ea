package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, case 2: Apex O2's state across a checkpoint and across changes of the set of
 * trainable parameters. The model's parameters are O2's fp32 master weights, so {@code
 * model.save} writes them exactly; the fp16 working copies live in the trainer and follow
 * freezing.
 */
class ApexO2StateTest {

    @TempDir Path dir;

    static PrecisionConfig o2(float initScale) {
        return PrecisionConfig.builder()
                .optPrecision("16-mixed")
                .optAmpLevel("O2")
                .optGradScaler(GradScalerConfig.builder().optInitScale(initScale).build())
                .build();
    }

    /** The master weight and its fp16 working copy. */
    record Weight(float master, float working) {}

    static Weight weight(PrecisionTrainer trainer, Model model) {
        Parameter parameter = model.getBlock().getParameters().valueAt(0);
        return new Weight(
                parameter.getArray().toFloatArray()[0],
                trainer.getWorkingParameter(parameter).toFloatArray()[0]);
    }

    /** w = 1, x = 1, y = 0, L2 loss, SGD lr 1e-4, O2 at initial scale 1, as in the issue. */
    static Weight steps(Model model, int steps) {
        try (PrecisionTrainer trainer =
                PrecisionTrainer.newTrainer(
                        model, LossScaleCollapseTest.sgd(1e-4f), o2(1f))) {
            trainer.initialize(new Shape(1, 1));
            for (int i = 0; i < steps; i++) {
                LossScaleCollapseTest.step(trainer, 1f, 0f);
                assertTrue(trainer.getLastOutcome().orElseThrow().applied());
            }
            return weight(trainer, model);
        }
    }

    @Test
    void resumedO2RunEqualsTheUninterruptedOne() throws Exception {
        Weight uninterrupted;
        try (Model model = LossScaleCollapseTest.linearOne()) {
            uninterrupted = steps(model, 4);
        }
        // masters 0.9999, 0.9998, 0.9997 round to fp16 1.0, 1.0, 0.99951: the 4th gradient is
        // 0.99951, so the master is 0.9997 - 1e-4 * 0.99951 = 0.99960005
        assertEquals(0.9996f, uninterrupted.master(), 1e-7f);
        assertEquals(0.99951171875f, uninterrupted.working());

        try (Model model = LossScaleCollapseTest.linearOne()) {
            steps(model, 2);
            model.save(dir, "o2");
        }
        Weight resumed;
        try (Model model = LossScaleCollapseTest.linearOne()) {
            model.load(dir, "o2");
            // the fp32 master as it was, not rebuilt from the fp16 weight (which was 1.0)
            assertEquals(0.9998f, model.getBlock().getParameters().valueAt(0).getArray().toFloatArray()[0], 1e-7f);
            resumed = steps(model, 2);
        }
        assertEquals(uninterrupted, resumed);
    }

    // ---- freezing and unfreezing after initialize ----

    static PrecisionTrainer trainer(Model model, PrecisionConfig precision, boolean freezeFirst) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.l2Loss())
                        .optInitializer(Fixture.SAME_IN_EVERY_TYPE, Parameter.Type.WEIGHT)
                        .optOptimizer(
                                Optimizer.sgd()
                                        .setLearningRateTracker(Tracker.fixed(0.1f))
                                        .build())
                        .optDevices(new ai.djl.Device[] {Fixture.CPU});
        PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision);
        // before initialize: the parameter is created frozen, its working copy without gradient
        firstLayer(model).freezeParameters(freezeFirst);
        trainer.initialize(new Shape(Fixture.BATCH, Fixture.FEATURES));
        return trainer;
    }

    static Block firstLayer(Model model) {
        return model.getBlock().getChildren().valueAt(0);
    }

    static void step(PrecisionTrainer trainer, NDManager data, int step) {
        NDList batch = Fixture.regression(data, step);
        Fixture.step(trainer, batch.get(0), batch.get(1));
        assertTrue(trainer.getLastOutcome().orElseThrow().applied(), "step " + step);
    }

    static float[] values(Block block) {
        List<Float> all = new ArrayList<>();
        for (Parameter parameter : block.getParameters().values()) {
            for (float v : parameter.getArray().toFloatArray()) {
                all.add(v);
            }
        }
        float[] flat = new float[all.size()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = all.get(i);
        }
        return flat;
    }

    /**
     * Five SGD steps, the first layer frozen for steps {@code frozenFrom} to {@code frozenTo - 1}
     * (from 0: frozen before {@code initialize}), unfrozen for the rest. With {@code restart} the
     * last step runs on a new trainer made from the model (which unfreezes it and restores the
     * loss scale): the reference, since SGD keeps no state and nothing gathered while frozen can
     * reach a new trainer.
     *
     * @return the model's parameters after the five steps
     */
    static float[] train(PrecisionConfig precision, int frozenFrom, int frozenTo, boolean restart) {
        try (NDManager data = NDManager.newBaseManager(Fixture.CPU, "PyTorch");
                Model model = Fixture.model(twoLayers(), 3)) {
            PrecisionTrainer trainer = trainer(model, precision, frozenFrom == 0);
            try {
                float[] frozen = null;
                for (int i = 0; i < 5; i++) {
                    boolean freeze = i >= frozenFrom && i < frozenTo;
                    if (i == 4 && restart) {
                        trainer.writeCheckpointState();
                        trainer.close();
                        trainer = trainer(model, precision, false);
                    } else {
                        firstLayer(model).freezeParameters(freeze);
                    }
                    if (freeze && frozen == null) {
                        frozen = values(firstLayer(model));
                    }
                    step(trainer, data, i);
                    if (freeze) {
                        assertArrayEquals(frozen, values(firstLayer(model)), "frozen, step " + i);
                        for (Parameter parameter : firstLayer(model).getParameters().values()) {
                            assertFalse(
                                    trainer.getWorkingParameter(parameter).hasGradient(),
                                    "a frozen parameter's working copy collects no gradient");
                        }
                    }
                }
                return values(model.getBlock());
            } finally {
                trainer.close();
            }
        }
    }

    static SequentialBlock twoLayers() {
        return new SequentialBlock()
                .add(ai.djl.nn.core.Linear.builder().setUnits(8).build())
                .add(ai.djl.nn.Activation.reluBlock())
                .add(ai.djl.nn.core.Linear.builder().setUnits(Fixture.OUTPUTS).build());
    }

    @Test
    void freezingAfterInitializeThenUnfreezingUpdatesFromTheNewGradientOnly() {
        for (PrecisionConfig precision : List.of(o2(1024f), PrecisionConfig.of("16-mixed"))) {
            float[] unfrozenInPlace = train(precision, 1, 4, false);
            float[] reference = train(precision, 1, 4, true);
            assertArrayEquals(reference, unfrozenInPlace, precision.toString());
        }
    }

    @Test
    void aParameterFrozenBeforeInitializeTrainsOnceUnfrozen() {
        for (PrecisionConfig precision : List.of(o2(1024f), PrecisionConfig.of("16-mixed"))) {
            float[] unfrozenInPlace = train(precision, 0, 4, false);
            float[] reference = train(precision, 0, 4, true);
            assertArrayEquals(reference, unfrozenInPlace, precision.toString());
        }
    }
}

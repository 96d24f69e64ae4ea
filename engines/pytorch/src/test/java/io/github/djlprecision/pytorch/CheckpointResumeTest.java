package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.Runs.Batch.FP16_OVERFLOW;
import static io.github.djlprecision.pytorch.Runs.Batch.INF;
import static io.github.djlprecision.pytorch.Runs.Batch.NORMAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Save mid-run with DJL's own {@code model.save}, load into a fresh model and trainer, continue:
 * the result must be the uninterrupted run's, exactly. SGD keeps no state of its own, so weights
 * and the precision state are all there is to restore; DJL does not save optimizer state (Adam's
 * moments), which the last test pins down.
 */
class CheckpointResumeTest {

    static final String NAME = "resume";

    @TempDir Path dir;

    static DefaultTrainingConfig sgd() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(
                        Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
                .optDevices(new Device[] {Device.cpu()});
    }

    /** What steps {@code from} to {@code to - 1} produced. */
    record Segment(
            List<Float> losses, List<Float> scales, List<Precision> precisions, float[] weights) {}

    static Segment train(
            Model model,
            DefaultTrainingConfig training,
            PrecisionConfig precision,
            Runs.Batch[] batches,
            int from,
            int to) {
        return train(model, training, precision, batches, from, to, PrecisionPlugin::getPrecision);
    }

    /**
     * Runs steps {@code from} to {@code to - 1}, recording the loss, the scale and the precision
     * each step ran in.
     */
    static Segment train(
            Model model,
            DefaultTrainingConfig training,
            PrecisionConfig precision,
            Runs.Batch[] batches,
            int from,
            int to,
            Function<PrecisionPlugin, Precision> active) {
        List<Float> losses = new ArrayList<>();
        List<Float> scales = new ArrayList<>();
        List<Precision> precisions = new ArrayList<>();
        try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, training, precision)) {
            float[] before = model.getBlock().isInitialized() ? Runs.flatWeights(model) : null;
            trainer.initialize(Runs.inputShape());
            if (before != null) {
                assertArrayEquals(before, Runs.flatWeights(model), "initialize changed loaded weights");
            }
            assertEquals(from, trainer.getStepCount(), "step count");
            for (int i = from; i < to; i++) {
                precisions.add(active.apply(trainer.getPlugin()));
                losses.add(Runs.step(trainer, i, batches[i]));
                scales.add(trainer.getLastOutcome().orElseThrow().lossScale());
            }
            return new Segment(losses, scales, precisions, Runs.flatWeights(model));
        }
    }

    /** Runs all steps in one go, then in two halves around a save and a load. */
    private void assertResumeMatches(
            Supplier<DefaultTrainingConfig> training,
            PrecisionConfig precision,
            Runs.Batch[] batches,
            int saveAfter)
            throws IOException, MalformedModelException {
        assertResumeMatches(
                dir, training, precision, batches, saveAfter, PrecisionPlugin::getPrecision);
    }

    /**
     * Runs all steps in one go, then in two halves around a save into {@code dir} and a load, and
     * checks that both give the same precisions, scales, losses and final weights.
     */
    static void assertResumeMatches(
            Path dir,
            Supplier<DefaultTrainingConfig> training,
            PrecisionConfig precision,
            Runs.Batch[] batches,
            int saveAfter,
            Function<PrecisionPlugin, Precision> active)
            throws IOException, MalformedModelException {
        Segment whole;
        try (Model model = ClassificationTask.mlp(NAME)) {
            whole = train(model, training.get(), precision, batches, 0, batches.length, active);
        }
        try (Model model = ClassificationTask.mlp(NAME)) {
            train(model, training.get(), precision, batches, 0, saveAfter, active);
            model.save(dir, NAME);
        }
        Segment resumed;
        try (Model model = ClassificationTask.mlp(NAME)) {
            model.load(dir, NAME);
            resumed =
                    train(model, training.get(), precision, batches, saveAfter, batches.length, active);
        }
        int n = batches.length;
        assertEquals(whole.precisions().subList(saveAfter, n), resumed.precisions(), "precisions");
        assertEquals(whole.scales().subList(saveAfter, n), resumed.scales(), "loss scales");
        assertEquals(whole.losses().subList(saveAfter, n), resumed.losses(), "losses");
        assertArrayEquals(whole.weights(), resumed.weights(), "final weights");
    }

    static Runs.Batch[] batches(Runs.Batch... batches) {
        return batches;
    }

    /**
     * A {@code model.save} inside a manual loop, with the trainer still open and no call but the
     * save, keeps the loss scale, its growth tracker and the step counts: the resumed run equals
     * the uninterrupted one, on the default fused SGD path (which does not read the step's flag
     * itself). Before, the state reached the model's properties only at epoch end, and the resumed
     * run restarted from the initial scale at step 0.
     */
    @Test
    void aSaveInsideAManualLoopKeepsThePrecisionState() throws Exception {
        PrecisionConfig precision = PrecisionConfig.of("16-mixed");
        Runs.Batch[] batches =
                batches(NORMAL, FP16_OVERFLOW, NORMAL, NORMAL, INF, NORMAL, NORMAL, NORMAL);
        int saveAfter = 5;
        List<Float> losses = new ArrayList<>();
        List<Float> scales = new ArrayList<>();
        float[] weights;
        try (Model model = ClassificationTask.mlp(NAME);
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, sgd(), precision)) {
            assertTrue(trainer.getPlugin().getPath().contains("fused-sgd"), trainer.getPlugin().getPath());
            trainer.initialize(Runs.inputShape());
            for (int i = 0; i < batches.length; i++) {
                if (i == saveAfter) {
                    model.save(dir, NAME);
                }
                losses.add(Runs.step(trainer, i, batches[i]));
                scales.add(trainer.getLastOutcome().orElseThrow().lossScale());
            }
            weights = Runs.flatWeights(model);
        }
        assertNotEquals(65536f, scales.get(saveAfter - 1), "the saved scale is not the initial one");
        Segment resumed;
        try (Model model = ClassificationTask.mlp(NAME)) {
            model.load(dir, NAME);
            assertEquals("2", model.getProperty("precision.skipped"));
            resumed = train(model, sgd(), precision, batches, saveAfter, batches.length);
        }
        int n = batches.length;
        assertEquals(scales.subList(saveAfter, n), resumed.scales(), "loss scales");
        assertEquals(losses.subList(saveAfter, n), resumed.losses(), "losses");
        assertArrayEquals(weights, resumed.weights(), "final weights");
    }

    @Test
    void resumedRunContinuesWithTheSavedScaleAndMatchesExactly() throws Exception {
        // the default GradScaler starts at 2^16; the bad batch at step 2 halves it, growth every 4
        PrecisionConfig precision =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(GradScalerConfig.builder().optGrowthInterval(4).build())
                        .build();
        Runs.Batch[] batches =
                batches(NORMAL, NORMAL, INF, NORMAL, NORMAL, NORMAL, NORMAL, NORMAL, NORMAL, NORMAL);
        assertResumeMatches(CheckpointResumeTest::sgd, precision, batches, 5);

        // the control: the same weights without the precision state restart at 2^16
        try (Model model = ClassificationTask.mlp(NAME)) {
            model.load(dir, NAME);
            assertEquals("32768.0", model.getProperty("precision.scaler.scale"));
            assertEquals("2", model.getProperty("precision.scaler.growth_tracker"));
            assertEquals("4", model.getProperty("precision.scaler.growth_interval"));
            assertEquals("16-mixed", model.getProperty("precision.value"));
            model.getProperties().keySet().removeIf(k -> k.startsWith("precision."));
            Segment fresh = train(model, sgd(), precision, batches, 0, 1);
            assertEquals(List.of(65536f), fresh.scales());
        }
    }

    @Test
    void savedScalerSettingsWinOverTheConfiguredOnesAsInTorch() throws Exception {
        PrecisionConfig saved =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(
                                GradScalerConfig.builder()
                                        .optInitScale(1024f)
                                        .optGrowthInterval(2)
                                        .optGrowthFactor(4f)
                                        .build())
                        .build();
        Runs.Batch[] batches = batches(NORMAL, NORMAL, NORMAL, NORMAL, NORMAL, NORMAL);
        try (Model model = ClassificationTask.mlp(NAME)) {
            train(model, sgd(), saved, batches, 0, 3);
            model.save(dir, NAME);
        }
        try (Model model = ClassificationTask.mlp(NAME)) {
            model.load(dir, NAME);
            // resumed with the default settings (growth 2 every 2000 steps): the checkpoint's win
            Segment resumed = train(model, sgd(), PrecisionConfig.of("16-mixed"), batches, 3, 6);
            assertEquals(List.of(4096f * 4, 4096f * 4, 4096f * 16), resumed.scales());
        }
    }

    @Test
    void adamMomentsAreNotSavedByDjlButScaleAndStepCountAre() throws Exception {
        PrecisionConfig precision = PrecisionConfig.of("16-mixed");
        Runs.Batch[] batches = batches(NORMAL, INF, NORMAL, NORMAL, NORMAL, NORMAL);
        Segment whole;
        try (Model model = ClassificationTask.mlp(NAME)) {
            whole = train(model, ClassificationTask.adamConfig(), precision, batches, 0, 6);
        }
        try (Model model = ClassificationTask.mlp(NAME)) {
            train(model, ClassificationTask.adamConfig(), precision, batches, 0, 3);
            model.save(dir, NAME);
        }
        try (Model model = ClassificationTask.mlp(NAME)) {
            model.load(dir, NAME);
            Segment resumed = train(model, ClassificationTask.adamConfig(), precision, batches, 3, 6);
            // restored: weights (same loss before the first resumed update) and the loss scale
            assertEquals(whole.losses().get(3), resumed.losses().get(0));
            assertEquals(whole.scales().subList(3, 6), resumed.scales());
            assertEquals(32768f, resumed.scales().get(0));
            // not restored: Adam starts with fresh moments and update count, so the runs part
            assertNotEquals(whole.losses().get(4), resumed.losses().get(1));
            assertTrue(Float.isFinite(resumed.losses().get(2)));
        }
    }
}

package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.Runs.Batch.INF;
import static io.github.djlprecision.pytorch.Runs.Batch.NORMAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * LibTorch's fused optimizers against DJL's own, element by element, and their skipped steps. The
 * maths differs only where {@link OptimizerFusion} documents it: DJL's SGD keeps the learning rate
 * in its momentum (equal with a fixed rate), DJL's Adam adds epsilon at another point (equal when
 * epsilon is negligible). What remains is rounding: the two compute the same sums in another
 * order, so after 20 steps each weight may differ by a few fp32 units in the last place; the
 * tolerance 1e-5 is about 100 such units for weights of order 0.1.
 */
class FusedOptimizerTest {

    private static final int STEPS = 20;
    private static final float TOLERANCE = 1e-5f;

    private static DefaultTrainingConfig config(Optimizer optimizer) {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(optimizer)
                .optDevices(new Device[] {Device.cpu()});
    }

    private static Optimizer sgd() {
        return Optimizer.sgd()
                .setLearningRateTracker(Tracker.fixed(0.05f))
                .optMomentum(0.9f)
                .optWeightDecays(1e-3f)
                .build();
    }

    private static Optimizer adam(boolean decoupled) {
        // epsilon far below sqrt(v): where DJL and torch put it no longer matters
        return decoupled
                ? Optimizer.adamW()
                        .optLearningRateTracker(Tracker.fixed(0.01f))
                        .optWeightDecays(1e-2f)
                        .optEpsilon(1e-20f)
                        .build()
                : Optimizer.adam()
                        .optLearningRateTracker(Tracker.fixed(0.01f))
                        .optWeightDecays(1e-3f)
                        .optEpsilon(1e-20f)
                        .build();
    }

    private static PrecisionConfig precision(String value, OptimizerFusion fusion) {
        return PrecisionConfig.builder()
                .optPrecision(value)
                .optOptimizerFusion(fusion)
                .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                .build();
    }

    /** The weights after the batches, and the trainer's path. */
    private record Run(float[] weights, String path, long skipped, float scale) {}

    private static Run train(
            Supplier<Optimizer> optimizer, PrecisionConfig precision, Runs.Batch... batches) {
        int[] data = new int[batches.length];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        return train(optimizer, precision, batches, data);
    }

    /** Step i trains on batch {@code batches[i]} made from data index {@code data[i]}. */
    private static Run train(
            Supplier<Optimizer> optimizer,
            PrecisionConfig precision,
            Runs.Batch[] batches,
            int[] data) {
        try (Model model = ClassificationTask.mlp("fused");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config(optimizer.get()), precision)) {
            trainer.initialize(Runs.inputShape());
            for (int i = 0; i < batches.length; i++) {
                Runs.step(trainer, data[i], batches[i]);
            }
            return new Run(
                    Runs.flatWeights(model),
                    trainer.getPlugin().getPath(),
                    trainer.getSkippedSteps(),
                    trainer.getLastOutcome().orElseThrow().lossScale());
        }
    }

    private static Runs.Batch[] normal(int steps) {
        Runs.Batch[] batches = new Runs.Batch[steps];
        java.util.Arrays.fill(batches, NORMAL);
        return batches;
    }

    @Test
    void fusedSgdMatchesDjlSgdAndIsTheDefault() {
        for (String value : List.of("32-true", "16-mixed")) {
            Run djl = train(FusedOptimizerTest::sgd, precision(value, OptimizerFusion.NEVER), normal(STEPS));
            Run fused = train(FusedOptimizerTest::sgd, precision(value, OptimizerFusion.AUTO), normal(STEPS));
            assertTrue(fused.path().contains("optimizer: fused-sgd"), fused.path());
            assertFalse(djl.path().contains("optimizer:"), djl.path());
            assertArrayEquals(djl.weights(), fused.weights(), TOLERANCE, value);
        }
    }

    @Test
    void fusedAdamAndAdamWMatchDjlsWhenAskedFor() {
        for (boolean decoupled : new boolean[] {false, true}) {
            Supplier<Optimizer> optimizer = () -> adam(decoupled);
            // in fp32: fp16 rounding in the forward would amplify the last-place differences
            Run djl = train(optimizer, precision("32-true", OptimizerFusion.NEVER), normal(STEPS));
            Run auto = train(optimizer, precision("32-true", OptimizerFusion.AUTO), normal(STEPS));
            Run fused = train(optimizer, precision("32-true", OptimizerFusion.ALWAYS), normal(STEPS));
            // AUTO leaves Adam to DJL: torch's epsilon is not DJL's
            assertFalse(auto.path().contains("optimizer:"), auto.path());
            assertTrue(
                    fused.path().contains(decoupled ? "fused-adamw" : "fused-adam"), fused.path());
            assertArrayEquals(djl.weights(), fused.weights(), TOLERANCE, "adamw " + decoupled);
        }
    }

    /**
     * A skipped step on the device: the run with an inf batch at step 3 ends bit-identical to the
     * run without it, so weights and the fused optimizer's state (momentum, Adam's moments and step
     * count, seen through every later update) were untouched, and the scale was halved once.
     */
    @Test
    void skippedStepsLeaveWeightsAndFusedStateBitIdentical() {
        Runs.Batch[] poisoned = {NORMAL, NORMAL, NORMAL, INF, NORMAL, NORMAL, NORMAL, NORMAL};
        Runs.Batch[] clean = {NORMAL, NORMAL, NORMAL, NORMAL, NORMAL, NORMAL, NORMAL};
        // the clean run sees the same batches, without the poisoned one
        int[] cleanData = {0, 1, 2, 4, 5, 6, 7};
        for (Supplier<Optimizer> optimizer :
                List.<Supplier<Optimizer>>of(FusedOptimizerTest::sgd, () -> adam(false))) {
            for (String value : List.of("16-mixed", "apex-O2")) {
                PrecisionConfig config =
                        value.equals("apex-O2")
                                ? PrecisionConfig.builder()
                                        .optPrecision("16-mixed")
                                        .optAmpLevel("O2")
                                        .optOptimizerFusion(OptimizerFusion.ALWAYS)
                                        .optGradScaler(
                                                GradScalerConfig.builder()
                                                        .optInitScale(1024f)
                                                        .build())
                                        .build()
                                : precision(value, OptimizerFusion.ALWAYS);
                Run withSkip = train(optimizer, config, poisoned);
                Run without = train(optimizer, config, clean, cleanData);
                assertTrue(withSkip.path().contains("optimizer: fused-"), withSkip.path());
                assertEquals(1, withSkip.skipped(), value);
                assertEquals(512f, withSkip.scale(), value);
                assertEquals(1024f, without.scale(), value);
                assertArrayEquals(without.weights(), withSkip.weights(), 0f, value);
            }
        }
    }

    @Test
    void halfParametersKeepDjlsOptimizer() {
        Run auto = train(FusedOptimizerTest::sgd, precision("16-true", OptimizerFusion.AUTO), normal(3));
        assertFalse(auto.path().contains("optimizer:"), auto.path());
        try (Model model = ClassificationTask.mlp("half")) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    PrecisionTrainer.newTrainer(
                                            model,
                                            config(sgd()),
                                            precision("16-true", OptimizerFusion.ALWAYS)));
            assertTrue(e.getMessage().contains("the parameters are float16"), e.getMessage());
        }
    }

    @Test
    void alwaysRefusesAnOptimizerWithoutAFusedKernelUpFront() {
        Optimizer nag =
                Optimizer.nag()
                        .setLearningRateTracker(Tracker.fixed(0.1f))
                        .setMomentum(0.9f)
                        .build();
        try (Model model = ClassificationTask.mlp("nag")) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    PrecisionTrainer.newTrainer(
                                            model,
                                            config(nag),
                                            precision("16-mixed", OptimizerFusion.ALWAYS)));
            assertTrue(e.getMessage().contains("Nag has no fused kernel"), e.getMessage());
            assertTrue(e.getMessage().contains("SGD, Adam and AdamW"), e.getMessage());
        }
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.scaling.ScalerState;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.DjlAmpKernels;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, case 1, replayed: {@code 16-mixed} with the default scaler on {@code Linear(1, no
 * bias)}, w = 1, SGD lr 0.1, L2 loss. Input 7e4 is inf in fp16 (max 65504), so every such step
 * overflows; without a floor 144 of them took the scale to 2.9e-39, 1/scale to inf, and the next
 * clean step (x = 1, y = 0) wrote NaN into the weight; after 200 the scale was 0.0. Run with the
 * fused LibTorch kernels and with the pure-DJL ones.
 */
class LossScaleCollapseTest {

    static final float OVERFLOWS_FP16 = 7e4f;

    static Model linearOne() {
        Model model = Model.newInstance("linear-1", Device.cpu(), "PyTorch");
        model.setBlock(Linear.builder().setUnits(1).optBias(false).build());
        return model;
    }

    static DefaultTrainingConfig sgd(float learningRate) {
        return new DefaultTrainingConfig(Loss.l2Loss())
                .optInitializer(new ConstantInitializer(1f), Parameter.Type.WEIGHT)
                .optOptimizer(
                        Optimizer.sgd()
                                .setLearningRateTracker(Tracker.fixed(learningRate))
                                .build())
                .optDevices(new Device[] {Device.cpu()});
    }

    /**
     * {@code 16-mixed} with LibTorch's scaler kernels and fused SGD (the default), or with DJL's
     * kernels and optimizer.
     */
    static PrecisionConfig halfMixed(
            boolean fused, GradScalerConfig.Builder scaler, int diagnosisSteps) {
        return PrecisionConfig.builder()
                .optPrecision("16-mixed")
                .optGradScaler(scaler.optFusedKernels(fused).build())
                .optOptimizerFusion(fused ? OptimizerFusion.AUTO : OptimizerFusion.NEVER)
                .optLowScaleDiagnosisSteps(diagnosisSteps)
                .build();
    }

    static float weight(Model model) {
        return model.getBlock().getParameters().valueAt(0).getArray().toFloatArray()[0];
    }

    static void step(PrecisionTrainer trainer, float x, float y) {
        NDManager manager = trainer.getManager();
        Fixture.step(
                trainer,
                manager.create(new float[] {x}, new Shape(1, 1)),
                manager.create(new float[] {y}, new Shape(1, 1)));
    }

    /** What a run of overflowing steps left. */
    record Collapse(List<Long> errorsAt, String error, float weight, float scale, long skipped) {}

    /** Runs {@code steps} overflowing steps, collecting the errors they throw. */
    static Collapse overflow(PrecisionTrainer trainer, Model model, int steps) {
        List<Long> errorsAt = new ArrayList<>();
        String error = null;
        for (int i = 0; i < steps; i++) {
            try {
                step(trainer, OVERFLOWS_FP16, 0f);
            } catch (TrainingDivergedException e) {
                errorsAt.add(trainer.getStepCount() - 1);
                error = e.getMessage();
            }
            assertEquals(1f, weight(model), "no overflowing step may change the weight");
        }
        return new Collapse(
                errorsAt,
                error,
                weight(model),
                trainer.getLastOutcome().orElseThrow().lossScale(),
                trainer.getSkippedSteps());
    }

    @Test
    void defaultSettingsStopWithAClearErrorAndTheNextCleanStepApplies() {
        for (boolean fused : new boolean[] {true, false}) {
            PrecisionConfig config = halfMixed(fused, GradScalerConfig.builder(), 100);
            try (Model model = linearOne();
                    PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, sgd(0.1f), config)) {
                trainer.initialize(new Shape(1, 1));
                String path = trainer.getPlugin().getPath();
                assertEquals(fused, path.contains("optimizer: fused-sgd"), path);
                Collapse run = overflow(trainer, model, 200);
                // 16 halvings take 2^16 to the floor 1.0 (step 15); the 100th skipped step at
                // the floor (step 114) raises the error, once, from that step: with DJL's
                // optimizer and with LibTorch's fused SGD (every step's outcome is read)
                assertEquals(List.of(114L), run.errorsAt(), "fused=" + fused);
                assertTrue(run.error().contains("at its floor 1.0 for 100 steps"), run.error());
                assertTrue(run.error().contains("up to step 114"), run.error());
                assertTrue(run.error().contains("'bf16-mixed'"), run.error());
                assertEquals(1f, run.scale(), "the scale stays at the floor, never 2.9e-39");
                assertEquals(200, run.skipped());

                step(trainer, 1f, 0f);
                assertTrue(trainer.getLastOutcome().orElseThrow().applied());
                // w - lr * dL/dw = 1 - 0.1 * (w * x - y) * x = 0.9
                assertEquals(0.9f, weight(model), "fused=" + fused);
            }
        }
    }

    @Test
    void withTheErrorOffTheScaleStaysAtTheFloorAndTrainingRecovers() {
        for (boolean fused : new boolean[] {true, false}) {
            for (int steps : new int[] {144, 200}) {
                PrecisionConfig config =
                        halfMixed(fused, GradScalerConfig.builder(), 0);
                try (Model model = linearOne();
                        PrecisionTrainer trainer =
                                PrecisionTrainer.newTrainer(model, sgd(0.1f), config)) {
                    trainer.initialize(new Shape(1, 1));
                    Collapse run = overflow(trainer, model, steps);
                    assertEquals(List.of(), run.errorsAt());
                    assertEquals(1f, run.scale(), "never 0.0: steps=" + steps);
                    step(trainer, 1f, 0f);
                    assertTrue(trainer.getLastOutcome().orElseThrow().applied());
                    assertEquals(0.9f, weight(model), "fused=" + fused + " steps=" + steps);
                }
            }
        }
    }

    /**
     * The lowest floor the settings accept, 2^-126: 1/scale is still finite, and below a scale of
     * 1 the gradients are checked again after unscaling. The clean step's gradient underflows
     * fp16 at that scale (its update is 0), but nothing non-finite reaches the weight.
     */
    @Test
    void theLowestFloorKeepsTheInverseFiniteAndTheWeightFinite() {
        for (boolean fused : new boolean[] {true, false}) {
            PrecisionConfig config =
                    halfMixed(fused, GradScalerConfig.builder().optMinScale(Float.MIN_NORMAL), 0);
            try (Model model = linearOne();
                    PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, sgd(0.1f), config)) {
                trainer.initialize(new Shape(1, 1));
                Collapse run = overflow(trainer, model, 144);
                // 2^16 * 2^-144 = 2^-128 is below the floor: the scale stops at 2^-126
                assertEquals(Float.MIN_NORMAL, run.scale());
                step(trainer, 1f, 0f);
                assertTrue(trainer.getLastOutcome().orElseThrow().applied());
                assertEquals(1f, weight(model), "the gradient underflowed; fused=" + fused);
            }
        }
    }

    /**
     * Below a scale of 1 unscaling enlarges gradients: 10 is finite, 10 / 2^-126 = 8.5e38 is not.
     * The second check flags it, with either kernels.
     */
    @Test
    void aGradientThatUnscalingMakesInfiniteIsFlagged() {
        GradScalerConfig settings =
                GradScalerConfig.builder()
                        .optInitScale(Float.MIN_NORMAL)
                        .optMinScale(Float.MIN_NORMAL)
                        .build();
        List<AmpKernels> kernels =
                List.of(DjlAmpKernels.INSTANCE, new LibTorchAmpKernels(LibTorchAmp.get()));
        for (AmpKernels kernel : kernels) {
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                    DynamicLossScaler scaler = new DynamicLossScaler(settings, kernel)) {
                scaler.attach(manager);
                NDArray gradient = manager.create(new float[] {10f, 1e-30f});
                NDArray foundInf = scaler.unscale(List.of(gradient), manager);
                assertEquals(1f, foundInf.getFloat(), kernel.name());
                assertFalse(Float.isFinite(gradient.toFloatArray()[0]), kernel.name());
                scaler.update(foundInf);
                assertEquals(new ScalerState(Float.MIN_NORMAL, 0), scaler.getState());
            }
        }
    }
}

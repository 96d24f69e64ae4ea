package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LossScalingTest {

    private static final int BATCH = 8;

    /** What a short run produced: the weights and the scale after every step. */
    private record Run(List<float[]> weights, List<Float> scales, long skipped) {}

    private static PrecisionConfig halfMixed(boolean fused, int growthInterval) {
        return PrecisionConfig.builder()
                .optPrecision("16-mixed")
                .optGradScaler(
                        GradScalerConfig.builder()
                                .optInitScale(1024f)
                                .optGrowthInterval(growthInterval)
                                .optFusedKernels(fused)
                                .build())
                .build();
    }

    /**
     * Trains one step per entry of {@code poisoned}; a true entry puts an inf in that step's
     * input, which makes every gradient non-finite.
     */
    private static Run run(PrecisionConfig config, boolean... poisoned) {
        try (Model model = ClassificationTask.mlp("scaling");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
            trainer.initialize(new Shape(BATCH, ClassificationTask.FEATURES));
            NDManager manager = trainer.getManager();
            List<float[]> weights = new ArrayList<>();
            List<Float> scales = new ArrayList<>();
            int finiteSteps = 0;
            for (int i = 0; i < poisoned.length; i++) {
                // each finite batch differs; a poisoned batch is the next finite one with an inf
                NDArray x =
                        manager.arange(BATCH * ClassificationTask.FEATURES)
                                .reshape(BATCH, ClassificationTask.FEATURES)
                                .div(100f)
                                .add(finiteSteps);
                if (poisoned[i]) {
                    x.set(new NDIndex(0, 0), Float.POSITIVE_INFINITY);
                } else {
                    finiteSteps++;
                }
                NDArray y = manager.arange(BATCH).toType(DataType.FLOAT32, false).mod(ClassificationTask.CLASSES);
                Fixture.step(trainer, x, y);
                weights.add(flatWeights(model));
                scales.add(trainer.getLastOutcome().orElseThrow().lossScale());
            }
            return new Run(weights, scales, trainer.getSkippedSteps());
        }
    }

    private static float[] flatWeights(Model model) {
        List<Float> all = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
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

    @Test
    void nonFiniteStepIsSkippedWithWeightsAndOptimizerStateUnchanged() {
        for (boolean fused : new boolean[] {true, false}) {
            Run poisoned = run(halfMixed(fused, 2000), false, true, false);
            Run clean = run(halfMixed(fused, 2000), false, false);

            assertEquals(1, poisoned.skipped());
            // the skipped step changed no weight, element by element
            assertArrayEquals(poisoned.weights().get(0), poisoned.weights().get(1));
            // and halved the scale; the next finite step ran at the halved scale
            assertEquals(List.of(1024f, 512f, 512f), poisoned.scales());
            // Adam's step count and moments were untouched: the step after the skipped one
            // lands exactly where the second step of a run without the bad batch lands
            assertArrayEquals(clean.weights().get(1), poisoned.weights().get(2), "fused=" + fused);
        }
    }

    @Test
    void skippedStepLeavesZeroGradientsNotNaN() {
        try (Model model = ClassificationTask.mlp("zeroed");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model, ClassificationTask.adamConfig(), halfMixed(true, 2000))) {
            trainer.initialize(new Shape(BATCH, ClassificationTask.FEATURES));
            NDManager manager = trainer.getManager();
            NDArray x = manager.ones(new Shape(BATCH, ClassificationTask.FEATURES));
            x.set(new NDIndex(0, 0), Float.POSITIVE_INFINITY);
            Fixture.step(trainer, x, manager.zeros(new Shape(BATCH)));
            assertFalse(trainer.getLastOutcome().orElseThrow().applied());
            for (Parameter parameter : model.getBlock().getParameters().values()) {
                float[] gradient = parameter.getArray().getGradient().toFloatArray();
                for (float g : gradient) {
                    assertEquals(0f, g, parameter.getName());
                }
            }
        }
    }

    @Test
    void scaleGrowsAfterTheGrowthInterval() {
        Run run = run(halfMixed(true, 3), false, false, false, false, false, false, false);
        assertEquals(List.of(1024f, 1024f, 2048f, 2048f, 2048f, 4096f, 4096f), run.scales());
        assertEquals(0, run.skipped());
    }

    @Test
    void fusedAndPureDjlKernelsGiveTheSameTrajectory() {
        boolean[] steps = {false, false, true, false, true, true, false, false, false, false};
        Run fused = run(halfMixed(true, 2), steps);
        Run djl = run(halfMixed(false, 2), steps);
        assertEquals(fused.scales(), djl.scales());
        assertEquals(List.of(1024f, 2048f, 1024f, 1024f, 512f, 256f, 256f, 512f, 512f, 1024f), fused.scales());
        for (int i = 0; i < steps.length; i++) {
            assertArrayEquals(fused.weights().get(i), djl.weights().get(i), "step " + i);
        }
    }

    @Test
    void pluginReportsWhichKernelsRun() {
        for (boolean fused : new boolean[] {true, false}) {
            try (Model model = ClassificationTask.mlp("path");
                    PrecisionTrainer trainer =
                            PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), halfMixed(fused, 2000))) {
                MixedPrecision plugin = (MixedPrecision) trainer.getPlugin();
                String kernels = fused ? "fused" : "djl";
                assertEquals(kernels, plugin.getScaler().getKernelsName());
                assertTrue(plugin.getPath().contains("loss scaling: " + kernels), plugin.getPath());
            }
        }
    }
}

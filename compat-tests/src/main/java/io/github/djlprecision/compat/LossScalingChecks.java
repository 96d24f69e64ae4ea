package io.github.djlprecision.compat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.dataset.Batch;

import io.github.djlprecision.PrecisionTrainer;
import io.github.djlprecision.scaling.GradScalerConfig;
import io.github.djlprecision.scaling.ScalerState;
import io.github.djlprecision.spi.StepOutcome;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The loss-scaling checks of a training cell, against PyTorch's GradScaler rule: the scale's
 * trajectory, how many steps apply, and that an overflow skips the step.
 */
final class LossScalingChecks {

    private LossScalingChecks() {}

    /**
     * Every step's scale follows GradScaler's rule from the initial scale; without loss scaling,
     * no step reports a scale or skips.
     */
    static void trajectory(
            GradScalerConfig config, PrecisionVariant variant, StepLog steps, List<Check> checks) {
        int skipped = steps.skippedCount();
        if (!variant.usesLossScaling()) {
            boolean noScale = true;
            for (int i = 0; i < steps.count(); i++) {
                noScale &= Float.isNaN(steps.scale(i));
            }
            checks.add(
                    new Check(
                            "no loss scaling, no skipped step",
                            noScale && skipped == 0,
                            (noScale ? "no step reports a loss scale" : "steps report a loss scale")
                                    + ", "
                                    + skipped
                                    + " skipped"));
            return;
        }
        ScalerState state = new ScalerState(config.getInitScale(), 0);
        String mismatch = null;
        for (int i = 0; i < steps.count() && mismatch == null; i++) {
            state = state.next(steps.skipped(i), config);
            if (state.scale() != steps.scale(i)) {
                mismatch =
                        "step "
                                + i
                                + " reports scale "
                                + steps.scale(i)
                                + ", GradScaler's rule gives "
                                + state.scale();
            }
        }
        checks.add(
                new Check(
                        "loss scale follows GradScaler's rule",
                        mismatch == null,
                        mismatch != null
                                ? mismatch
                                : "from "
                                        + config.getInitScale()
                                        + " to "
                                        + state.scale()
                                        + " over "
                                        + steps.count()
                                        + " steps"));
        checks.add(
                new Check(
                        "most steps apply",
                        skipped * 2 < steps.count(),
                        skipped + " of " + steps.count() + " steps skipped (inf/NaN gradients)"));
    }

    /**
     * Feeds one batch with an inf in it: the step must be skipped, the weights unchanged and the
     * scale backed off. Does nothing for integer inputs (token ids hold no inf).
     */
    static void overflowIsSkipped(PrecisionTrainer trainer, Batch batch, List<Check> checks) {
        NDArray x = batch.getData().head();
        if (!x.getDataType().isFloating()) {
            return;
        }
        float[] before = weights(trainer.getModel().getBlock());
        float scale = trainer.getLastOutcome().orElseThrow().lossScale();
        long skippedBefore = trainer.getSkippedSteps();
        NDArray poisoned = x.duplicate();
        poisoned.set(new NDIndex(0), Float.POSITIVE_INFINITY);
        NDList data = new NDList(batch.getData());
        data.set(0, poisoned);
        TrainingStep.run(trainer, data, batch.getLabels(), null);
        StepOutcome outcome = trainer.getLastOutcome().orElseThrow();
        float expectedScale =
                scale * trainer.getPrecisionConfig().getGradScaler().getBackoffFactor();
        boolean unchanged = Arrays.equals(before, weights(trainer.getModel().getBlock()));
        boolean ok =
                !outcome.applied()
                        && trainer.getSkippedSteps() == skippedBefore + 1
                        && outcome.lossScale() == expectedScale
                        && unchanged;
        checks.add(
                new Check(
                        "an inf input skips the step",
                        ok,
                        String.format(
                                "applied=%s, weights %s, scale %s -> %s (expected %s)",
                                outcome.applied(),
                                unchanged ? "unchanged" : "CHANGED",
                                scale,
                                outcome.lossScale(),
                                expectedScale)));
    }

    private static float[] weights(Block block) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (Parameter parameter : block.getParameters().values()) {
            try (NDArray wide = parameter.getArray().toType(DataType.FLOAT32, true)) {
                float[] values = wide.toFloatArray();
                parts.add(values);
                total += values.length;
            }
        }
        float[] all = new float[total];
        int offset = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return all;
    }
}

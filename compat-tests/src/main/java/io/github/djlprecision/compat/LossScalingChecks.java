package io.github.djlprecision.compat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.dataset.Batch;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.scaling.ScalerState;
import io.github.djlprecision.spi.StepOutcome;
import io.github.djlprecision.training.PrecisionTrainer;

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
     * Every step's scale follows GradScaler's rule from the initial scale, and most steps apply (in
     * a short run: the last one); without loss scaling, no step reports a scale or skips.
     */
    static void trajectory(
            GradScalerConfig config,
            PrecisionVariant variant,
            StepLog steps,
            boolean shortRun,
            List<Check> checks) {
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
        if (shortRun) {
            // the scaler starts high and backs off: in a few steps most may be skipped, as with
            // torch's GradScaler, but once it has settled a step must apply
            boolean lastApplied = steps.count() > 0 && !steps.skipped(steps.count() - 1);
            checks.add(
                    new Check(
                            "the last step applies",
                            lastApplied,
                            skipped
                                    + " of "
                                    + steps.count()
                                    + " steps skipped (inf/NaN gradients), the last one "
                                    + (lastApplied ? "applied" : "skipped")));
            return;
        }
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
        Block block = trainer.getModel().getBlock();
        float[] before = weights(block, true);
        float[] statisticsBefore = weights(block, false);
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
        boolean unchanged = Arrays.equals(before, weights(block, true));
        // as in PyTorch: a skipped step leaves the trainable weights alone, but normalisation
        // layers update their running statistics in the forward pass, inf input or not
        boolean statisticsMoved = !Arrays.equals(statisticsBefore, weights(block, false));
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
                                "applied=%s, trainable weights %s, scale %s -> %s (expected %s)%s",
                                outcome.applied(),
                                unchanged ? "unchanged" : "CHANGED",
                                scale,
                                outcome.lossScale(),
                                expectedScale,
                                statisticsMoved
                                        ? "; running statistics updated by the forward pass, as"
                                                + " in PyTorch"
                                        : "")));
    }

    /** The values of the trainable parameters, or of the others (running statistics). */
    private static float[] weights(Block block, boolean trainable) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (Parameter parameter : block.getParameters().values()) {
            if (parameter.requiresGradient() != trainable) {
                continue;
            }
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

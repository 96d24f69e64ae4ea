package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.StepOutcome;
import io.github.djlprecision.training.PrecisionTrainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Drives the trainer's one step sequence through a recipe with an inf written into one gradient
 * element between backward and {@code trainer.step()}, where a layer whose backward overflowed
 * would leave it. Run A trains on batches 1, 2 (with the inf) and 3; run B, from the same initial
 * weights, on batches 1 and 3 only.
 *
 * <p>The model is Linear, LayerNorm, ReLU, Linear trained by Adam: Adam's moments and per-parameter
 * update count are the optimizer state a skipped step must not touch, and under Apex O2 the layer
 * norm's parameters are fp32 masters used directly while the linears' have fp16 working copies. No
 * batch norm: its running statistics would follow batch 2's forward in run A and not in B.
 */
final class InjectedInf {

    /** The element the inf is written to: the first weight of the first linear layer. */
    private static final NDIndex ELEMENT = new NDIndex(0, 0);

    private InjectedInf() {}

    /**
     * Asserts torch GradScaler's (and Apex's dynamic loss scaler's) skip: the step with the inf is
     * reported skipped and changes no weight, master or working copy, bit for bit; the loss scale,
     * if any, is multiplied by the backoff factor; and the optimizer's state is untouched, shown
     * through the next update: run A, after its skipped step, ends bit-identical to run B. B takes
     * over A's loss scale after the skip (the one thing a skipped step is meant to change) through
     * the plugin's state dict, so that only the skipped step itself can tell the runs apart.
     *
     * @param precision any recipe: without loss scaling the scale stays NaN
     */
    static void assertSkipped(PrecisionConfig precision) {
        try (NDManager data = NDManager.newBaseManager(Fixture.CPU, "PyTorch");
                Model modelA = Fixture.model(block(), 5);
                PrecisionTrainer a = Fixture.trainer(modelA, precision, Fixture.adamForFp16());
                Model modelB = Fixture.model(block(), 5);
                PrecisionTrainer b = Fixture.trainer(modelB, precision, Fixture.adamForFp16())) {
            List<byte[]> start = snapshot(a, modelA);
            assertBitIdentical(start, snapshot(b, modelB), "the runs start apart");
            NDList first = Fixture.regression(data, 1);
            NDList second = Fixture.regression(data, 2);
            NDList third = Fixture.regression(data, 3);

            StepOutcome applied = step(a, modelA, first, false);
            assertTrue(applied.applied(), "a finite step was skipped: " + applied);
            List<byte[]> beforeSkip = snapshot(a, modelA);
            StepOutcome skipped = step(a, modelA, second, true);
            assertFalse(skipped.applied(), "the inf step was applied: " + a.getPlugin().getPath());
            assertNotNull(skipped.skipReason());
            assertEquals(1, a.getSkippedSteps());
            assertBitIdentical(beforeSkip, snapshot(a, modelA), "the skipped step changed them");
            if (Float.isNaN(applied.lossScale())) {
                // a recipe without loss scaling, checked by the trainer
                assertTrue(Float.isNaN(skipped.lossScale()), "loss scale " + skipped.lossScale());
            } else {
                float backoff = precision.getGradScaler().getBackoffFactor();
                assertEquals(applied.lossScale() * backoff, skipped.lossScale(), "loss scale");
            }
            Map<String, String> afterSkip = a.getPlugin().stateDict();
            step(a, modelA, third, false);

            step(b, modelB, first, false);
            b.getPlugin().loadStateDict(afterSkip);
            step(b, modelB, third, false);
            assertEquals(0, b.getSkippedSteps());
            assertBitIdentical(
                    snapshot(b, modelB),
                    snapshot(a, modelA),
                    "weights or optimizer state differ after the step that followed the skip");
        }
    }

    private static SequentialBlock block() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(32).build())
                .add(LayerNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(Fixture.OUTPUTS).build());
    }

    /** Forward and backward, the inf if asked, then the trainer's step; returns its outcome. */
    private static StepOutcome step(
            PrecisionTrainer trainer, Model model, NDList batch, boolean injectInf) {
        Fixture.forwardBackward(trainer, batch.get(0), batch.get(1));
        if (injectInf) {
            // the gradient backward wrote: that of the fp16 working copy under Apex O2
            try (NDArray gradient = trainer.getWorkingParameter(injected(model)).getGradient()) {
                gradient.set(ELEMENT, Float.POSITIVE_INFINITY);
            }
        }
        trainer.step();
        return trainer.getLastOutcome().orElseThrow();
    }

    private static Parameter injected(Model model) {
        return model.getBlock().getParameters().valueAt(0);
    }

    /** The bytes of every parameter, and of its working copy where it has its own (Apex O2). */
    private static List<byte[]> snapshot(PrecisionTrainer trainer, Model model) {
        List<byte[]> values = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            NDArray own = parameter.getArray();
            values.add(own.toByteArray());
            NDArray working = trainer.getWorkingParameter(parameter);
            if (working != own) {
                values.add(working.toByteArray());
            }
        }
        return values;
    }

    private static void assertBitIdentical(
            List<byte[]> expected, List<byte[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + " (array " + i + ")");
        }
    }
}

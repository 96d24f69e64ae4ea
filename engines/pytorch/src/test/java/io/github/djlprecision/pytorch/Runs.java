package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.github.djlprecision.spi.StepOutcome;
import io.github.djlprecision.training.LossScaleDiagnosis;
import io.github.djlprecision.training.PrecisionListener;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;

/** Deterministic batches, step helpers and a recording listener for the resilience tests. */
final class Runs {

    static final int BATCH = 8;

    /** What a batch of a step holds. */
    enum Batch {
        /** Ordinary values in [0, 2). */
        NORMAL,
        /** Values up to 10^6: inf once cast to fp16 (max 65504), ordinary in bf16 and fp32. */
        FP16_OVERFLOW,
        /** One +inf element: non-finite in every precision. */
        INF
    }

    private Runs() {}

    /** The input of step {@code step}: every step gets different, reproducible data. */
    static NDArray input(NDManager manager, int step, Batch batch) {
        NDArray x =
                manager.arange(BATCH * ClassificationTask.FEATURES)
                        .reshape(BATCH, ClassificationTask.FEATURES)
                        .toType(DataType.FLOAT32, false)
                        .div(100f)
                        .add(step % 7 * 0.1f);
        switch (batch) {
            case FP16_OVERFLOW:
                return x.add(0.5f).mul(1e6f);
            case INF:
                x.set(new NDIndex(0, 0), Float.POSITIVE_INFINITY);
                return x;
            default:
                return x;
        }
    }

    static NDArray labels(NDManager manager) {
        return manager.arange(BATCH).toType(DataType.FLOAT32, false).mod(ClassificationTask.CLASSES);
    }

    /** One training step, as EasyTrain.trainBatch does it; returns the (unscaled) loss. */
    static float step(Trainer trainer, int step, Batch batch) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            float value;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(input(scope, step, batch)));
                NDArray loss = trainer.getLoss().evaluate(new NDList(labels(scope)), out);
                value = loss.getFloat();
                collector.backward(loss);
            }
            trainer.step();
            return value;
        }
    }

    static float[] flatWeights(Model model) {
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

    static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    static Shape inputShape() {
        return new Shape(BATCH, ClassificationTask.FEATURES);
    }

    /** Records every precision event, and the skipped steps, in order. */
    static class Recorder extends TrainingListenerAdapter implements PrecisionListener {

        final List<Long> skippedSteps = new ArrayList<>();
        final List<StepOutcome> skipped = new ArrayList<>();
        final List<LossScaleDiagnosis> diagnoses = new ArrayList<>();

        @Override
        public void onStepSkipped(PrecisionTrainer trainer, StepOutcome outcome) {
            skippedSteps.add(outcome.stepIndex());
            skipped.add(outcome);
        }

        @Override
        public void onLowLossScale(PrecisionTrainer trainer, LossScaleDiagnosis diagnosis) {
            diagnoses.add(diagnosis);
        }
    }
}

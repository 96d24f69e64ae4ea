package io.github.djlprecision.compat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;

import io.github.djlprecision.spi.StepOutcome;
import io.github.djlprecision.training.PrecisionTrainer;

import java.util.function.Consumer;

/**
 * One training step as DJL's {@code EasyTrain.trainBatch} runs it (forward, loss, backward, step),
 * timed, with a hook between backward and step where the gradients can be inspected.
 */
final class TrainingStep {

    /**
     * What one step did.
     *
     * @param loss the batch's loss, as fp32
     * @param scale the loss scale after the step, NaN without loss scaling
     * @param skipped whether the optimizer step was skipped (inf/NaN gradients)
     * @param nanos the step's wall time
     */
    record Record(float loss, float scale, boolean skipped, long nanos) {}

    private TrainingStep() {}

    /**
     * Runs one step.
     *
     * @param trainer the trainer
     * @param data the batch's inputs
     * @param labels the batch's labels
     * @param afterBackward called with the trainer once gradients exist, before the step; or null
     * @return what the step did
     */
    static Record run(
            PrecisionTrainer trainer,
            NDList data,
            NDList labels,
            Consumer<PrecisionTrainer> afterBackward) {
        long start = System.nanoTime();
        float loss;
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDList predictions = trainer.forward(data, labels);
            NDArray lossArray = trainer.getLoss().evaluate(labels, predictions);
            collector.backward(lossArray);
            loss = scalar(lossArray);
        }
        if (afterBackward != null) {
            afterBackward.accept(trainer);
        }
        trainer.step();
        long nanos = System.nanoTime() - start;
        StepOutcome outcome = trainer.getLastOutcome().orElseThrow();
        return new Record(loss, outcome.lossScale(), !outcome.applied(), nanos);
    }

    /** Reads a scalar as fp32; fp16 and fp64 losses are widened or narrowed first. */
    static float scalar(NDArray array) {
        return array.getDataType() == DataType.FLOAT32
                ? array.getFloat()
                : array.toType(DataType.FLOAT32, false).getFloat();
    }
}

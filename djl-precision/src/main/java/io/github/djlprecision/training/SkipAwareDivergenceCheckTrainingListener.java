package io.github.djlprecision.training;

import ai.djl.Device;
import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.listener.DivergenceCheckTrainingListener;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DJL's {@code DivergenceCheckTrainingListener} for mixed precision: a batch whose loss is NaN
 * ends training with DJL's {@code TrainingDivergedException}, unless its step will be skipped. With
 * loss scaling (torch's GradScaler) an inf or NaN loss is the normal sign of a scale that is too
 * large: the step is skipped, the scale backs off and training goes on; a scale stuck at its floor
 * is the trainer's own {@code TrainingDivergedException}, and the circuit breaker's fallback
 * happens there too. DJL's check reads the loss accumulated over all of training, which one
 * overflowing batch makes NaN for good, so it throws at the first overflow and every recovery is
 * pre-empted. This one leaves a trainer that scales the loss to its own checks, and elsewhere reads
 * the batch's own loss, so it throws where DJL's would in a precision that never skips ({@code
 * 32-true}, {@code bf16-mixed}, the true types, the breaker's bf16 fallback). {@link
 * PrecisionListeners} puts it in place of DJL's.
 */
public class SkipAwareDivergenceCheckTrainingListener extends TrainingListenerAdapter {

    private static final Logger logger =
            LoggerFactory.getLogger(SkipAwareDivergenceCheckTrainingListener.class);

    /**
     * Throws DJL's {@code TrainingDivergedException} when this batch's loss is NaN, except with a
     * {@link PrecisionTrainer} that scales the loss (its step skips non-finite gradients).
     *
     * @param trainer the trainer
     * @param batchData the batch's labels and predictions per device
     * @throws TrainingDivergedException with DJL's message
     */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (trainer instanceof PrecisionTrainer precisionTrainer
                && precisionTrainer.getPlugin().getLossScale().isPresent()) {
            // EasyTrain calls this before the step; with loss scaling, a batch whose loss is
            // not finite has non-finite gradients, and its step is skipped
            return;
        }
        Loss loss = trainer.getLoss();
        for (Map.Entry<Device, NDList> labels : batchData.getLabels().entrySet()) {
            NDList predictions = batchData.getPredictions().get(labels.getKey());
            if (predictions == null) {
                continue;
            }
            try (NDManager scope = predictions.head().getManager().newSubManager()) {
                NDArray value = loss.evaluate(labels.getValue(), predictions);
                value.attach(scope);
                NDArray wide = value.toType(DataType.FLOAT32, false);
                wide.attach(scope);
                if (Float.isNaN(wide.sum().getFloat())) {
                    throw new TrainingDivergedException(
                            "The Loss became NaN, try reduce learning rate,add clipGradient option"
                                    + " to your optimizer, check input data and loss calculation.");
                }
            }
        }
    }

    /**
     * Logs a warning when a trainer that may skip steps (one with loss scaling) is given DJL's own
     * divergence check, naming the drop-in to use instead. Nothing is replaced: the user's
     * listeners stay as they are.
     *
     * @param listeners the training config's listeners
     * @param precision the precision, for the message
     */
    static void warnAboutDjlCheck(Iterable<TrainingListener> listeners, String precision) {
        for (TrainingListener listener : listeners) {
            if (listener.getClass() == DivergenceCheckTrainingListener.class) {
                logger.warn(
                        "DJL's DivergenceCheckTrainingListener (in TrainingListener.Defaults) ends"
                                + " training at the first inf or NaN loss, which {} with loss"
                                + " scaling meets and recovers from by skipping the step. Use"
                                + " PrecisionListeners.logging() (or basic()) in place of"
                                + " TrainingListener.Defaults: the same listeners, with a divergence"
                                + " check that knows a skipped step is not divergence.",
                        precision);
                return;
            }
        }
    }
}

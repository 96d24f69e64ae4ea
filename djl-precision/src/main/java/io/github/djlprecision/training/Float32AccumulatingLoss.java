package io.github.djlprecision.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * The user's loss as the trainer hands it to DJL ({@code Trainer.getLoss()}): {@link #evaluate},
 * the loss backward runs on, is the user's, in the model's type (fp64 in {@code 64-true}); the
 * accumulators that DJL's listeners read are the user's too, but are fed float32 copies of fp64 and
 * fp16 labels and predictions ({@link Float32Views}), so that {@code EasyTrain.fit} with {@code
 * TrainingListener.Defaults.logging()} works in every precision. The accumulated loss of a {@code
 * 64-true} batch is therefore its fp32 value.
 */
final class Float32AccumulatingLoss extends Loss {

    private final Loss loss;

    Float32AccumulatingLoss(Loss loss) {
        super(loss.getName());
        this.loss = loss;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return loss.evaluate(labels, predictions);
    }

    @Override
    public void addAccumulator(String key) {
        loss.addAccumulator(key);
    }

    @Override
    public void updateAccumulator(String key, NDList labels, NDList predictions) {
        updateAccumulators(new String[] {key}, labels, predictions);
    }

    @Override
    public void updateAccumulators(String[] keys, NDList labels, NDList predictions) {
        Float32Views.updateAccumulators(loss, keys, labels, predictions);
    }

    @Override
    public void resetAccumulator(String key) {
        loss.resetAccumulator(key);
    }

    @Override
    public float getAccumulator(String key) {
        return loss.getAccumulator(key);
    }
}

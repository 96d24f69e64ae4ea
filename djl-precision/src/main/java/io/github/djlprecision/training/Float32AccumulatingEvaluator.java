package io.github.djlprecision.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.evaluator.Evaluator;

/**
 * A user's evaluator as the trainer hands it to DJL ({@code Trainer.getEvaluators()}): everything
 * is the user's evaluator's, but its accumulators are fed float32 copies of fp64 and fp16 labels
 * and predictions ({@link Float32Views}), as for the loss ({@link Float32AccumulatingLoss}).
 */
final class Float32AccumulatingEvaluator extends Evaluator {

    private final Evaluator evaluator;

    Float32AccumulatingEvaluator(Evaluator evaluator) {
        super(evaluator.getName());
        this.evaluator = evaluator;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return evaluator.evaluate(labels, predictions);
    }

    @Override
    public void addAccumulator(String key) {
        evaluator.addAccumulator(key);
    }

    @Override
    public void updateAccumulator(String key, NDList labels, NDList predictions) {
        updateAccumulators(new String[] {key}, labels, predictions);
    }

    @Override
    public void updateAccumulators(String[] keys, NDList labels, NDList predictions) {
        Float32Views.updateAccumulators(evaluator, keys, labels, predictions);
    }

    @Override
    public void resetAccumulator(String key) {
        evaluator.resetAccumulator(key);
    }

    @Override
    public float getAccumulator(String key) {
        return evaluator.getAccumulator(key);
    }
}

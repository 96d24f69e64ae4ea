package io.github.djlprecision.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.evaluator.Evaluator;

/**
 * The float32 copies DJL's evaluator and loss accumulators get of fp64 and fp16 labels and
 * predictions. DJL's accumulators read their sums with {@code getFloat()}/{@code getLong()}, which
 * throw on other types ("DataType mismatch, Required float, Actual float64"), so {@code 64-true}
 * outputs broke {@code TrainingListener.Defaults.logging()} (plain DJL in fp64 fails the same way).
 */
final class Float32Views {

    private Float32Views() {}

    /**
     * Feeds an evaluator's (or a loss's) accumulators the labels and predictions, as float32 copies
     * where they are fp64 or fp16; the copies are closed before this returns.
     *
     * @param evaluator the user's evaluator or loss
     * @param keys the accumulators to update
     * @param labels the labels
     * @param predictions the predictions
     */
    static void updateAccumulators(
            Evaluator evaluator, String[] keys, NDList labels, NDList predictions) {
        if (!needed(labels, predictions)) {
            evaluator.updateAccumulators(keys, labels, predictions);
            return;
        }
        try (NDManager scope = NDManager.subManagerOf(predictions.head())) {
            evaluator.updateAccumulators(keys, of(labels, scope), of(predictions, scope));
        }
    }

    /**
     * Returns whether any array of the lists needs a float32 copy.
     *
     * @param lists labels and predictions
     * @return true if one is fp64 or fp16
     */
    private static boolean needed(NDList... lists) {
        for (NDList list : lists) {
            for (NDArray array : list) {
                if (isWide(array) || array.getDataType() == DataType.FLOAT16) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Returns the list with float32 copies of its fp64 and fp16 arrays, made in a scope.
     *
     * @param list labels or predictions
     * @param scope where the copies live; the caller closes it
     * @return the list for the accumulators
     */
    private static NDList of(NDList list, NDManager scope) {
        NDList views = new NDList(list.size());
        for (NDArray array : list) {
            if (isWide(array) || array.getDataType() == DataType.FLOAT16) {
                NDArray copy = array.toType(DataType.FLOAT32, true);
                copy.attach(scope);
                views.add(copy);
            } else {
                views.add(array);
            }
        }
        return views;
    }

    private static boolean isWide(NDArray array) {
        return array.getDataType() == DataType.FLOAT64;
    }
}

package io.github.djlprecision.training;

import ai.djl.Model;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The models that have an open {@link PrecisionTrainer}: a second trainer on the same model would
 * update the same parameters with its own optimizer, loss scale and buffers, and each would write
 * its own state into the model's properties, so it is refused until the first is closed.
 */
final class OpenTrainers {

    private static final Map<Model, Boolean> OPEN = Collections.synchronizedMap(new WeakHashMap<>());

    private OpenTrainers() {}

    /**
     * Refuses a model that already has an open trainer.
     *
     * @param model the model
     * @throws IllegalStateException naming the model and what to do
     */
    static void checkFree(Model model) {
        if (OPEN.containsKey(model)) {
            throw new IllegalStateException(
                    "Model '"
                            + model.getName()
                            + "' already has an open PrecisionTrainer; two trainers would update"
                            + " the same parameters and write two precision states. Close the"
                            + " first trainer (try-with-resources) before making another.");
        }
    }

    /**
     * Records a model's trainer as open.
     *
     * @param model the model
     */
    static void open(Model model) {
        OPEN.put(model, Boolean.TRUE);
    }

    /**
     * Records a model's trainer as closed.
     *
     * @param model the model
     */
    static void close(Model model) {
        OPEN.remove(model);
    }
}

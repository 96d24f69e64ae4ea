package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Dataset;

/**
 * What the matrix trains in every cell: a model, its data and its training settings. Implement it
 * to run the matrix against your own model, e.g. from a subclass of {@link
 * AbstractCompatMatrixTest}.
 *
 * <p>Every cell compares its loss to a {@code 32-true} run of the same workload, so {@link
 * #newModel} must start from the same weights every time (seed the engine before building it) and
 * the data must be the same every time.
 */
public interface CompatWorkload {

    /**
     * Returns a short name, used for the report's title and folder.
     *
     * @return e.g. {@code "mlp-blobs"}
     */
    String name();

    /**
     * Returns one line saying what the workload trains, for the report.
     *
     * @return the description
     */
    default String description() {
        return name();
    }

    /**
     * Builds the model, with its block set, on an engine and device; always with the same weights.
     *
     * @param engine the DJL engine name
     * @param device the device
     * @return a new model, closed by the matrix
     */
    Model newModel(String engine, Device device);

    /**
     * Returns the input shapes the trainer is initialized with.
     *
     * @return the shapes of one batch's inputs
     */
    Shape[] inputShapes();

    /**
     * Returns the training settings: loss, optimizer, evaluators (an evaluator named {@code
     * "Accuracy"} fills the report's accuracy column) and the device.
     *
     * @param device the one device to train on
     * @return the settings
     */
    TrainingConfig trainingConfig(Device device);

    /**
     * Returns the data to train on; the same samples every call.
     *
     * @param manager the manager that owns the data's arrays
     * @return the data set
     */
    Dataset trainingSet(NDManager manager);

    /**
     * Returns held-out data that each trained cell is evaluated on: its accuracy (the evaluator
     * named {@code "Accuracy"}) is reported per precision and compared with {@code 32-true}'s.
     *
     * @param manager the manager that owns the data's arrays
     * @return the test set, the same samples every call; null (the default) for none
     */
    default Dataset testSet(NDManager manager) {
        return null;
    }

    /**
     * Returns how many passes over the data one cell trains.
     *
     * @return the number of epochs
     */
    default int epochs() {
        return 3;
    }
}

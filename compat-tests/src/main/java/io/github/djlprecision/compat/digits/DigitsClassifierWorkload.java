package io.github.djlprecision.compat.digits;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Dataset;

import io.github.djlprecision.compat.CompatWorkload;

/**
 * One of the main job's {@link DigitsClassifiers} by name, with the main job's seed. It has a
 * constructor taking its name, so that the matrix can rebuild it in a child JVM.
 */
public final class DigitsClassifierWorkload implements CompatWorkload {

    /** The engine seed every digits classifier starts from. */
    public static final int SEED = 42;

    private final DigitsWorkload digits;

    /**
     * Creates a classifier's workload.
     *
     * @param name {@code digits-cnn} or {@code digits-mlp}
     * @throws IllegalArgumentException for another name, naming the accepted ones
     */
    public DigitsClassifierWorkload(String name) {
        switch (name) {
            case "digits-cnn" -> digits = DigitsClassifiers.cnn(SEED);
            case "digits-mlp" -> digits = DigitsClassifiers.mlp(SEED);
            default -> throw new IllegalArgumentException(
                    "No digits classifier named '" + name + "'; use digits-cnn or digits-mlp.");
        }
    }

    @Override
    public String name() {
        return digits.name();
    }

    @Override
    public String description() {
        return digits.description();
    }

    @Override
    public Model newModel(String engine, Device device) {
        return digits.newModel(engine, device);
    }

    @Override
    public Shape[] inputShapes() {
        return digits.inputShapes();
    }

    @Override
    public TrainingConfig trainingConfig(Device device) {
        return digits.trainingConfig(device);
    }

    @Override
    public Dataset trainingSet(NDManager manager) {
        return digits.trainingSet(manager);
    }

    @Override
    public Dataset testSet(NDManager manager) {
        return digits.testSet(manager);
    }

    @Override
    public int epochs() {
        return digits.epochs();
    }
}

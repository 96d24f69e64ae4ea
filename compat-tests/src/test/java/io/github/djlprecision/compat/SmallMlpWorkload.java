package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Dataset;

/** The small blob MLP with a constructor without arguments, as a child JVM rebuilds it. */
public final class SmallMlpWorkload implements CompatWorkload {

    private static final MlpWorkload MLP = new MlpWorkload(128, 32, 2, 16);

    /** Creates the workload. */
    public SmallMlpWorkload() {}

    @Override
    public String name() {
        return "small-mlp";
    }

    @Override
    public Model newModel(String engine, Device device) {
        return MLP.newModel(engine, device);
    }

    @Override
    public Shape[] inputShapes() {
        return MLP.inputShapes();
    }

    @Override
    public TrainingConfig trainingConfig(Device device) {
        return MLP.trainingConfig(device);
    }

    @Override
    public Dataset trainingSet(NDManager manager) {
        return MLP.trainingSet(manager);
    }

    @Override
    public int epochs() {
        return MLP.epochs();
    }
}

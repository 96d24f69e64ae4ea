package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Dataset;

/**
 * A small MLP with a block that terminates the JVM (exit status 134, as a native abort) when
 * float16 reaches it: a controlled stand-in for DJL calls that abort the process on a 16-bit type.
 * It has a public constructor without arguments, so the matrix can rebuild it in a child JVM.
 */
public final class HaltsOnFloat16Workload implements CompatWorkload {

    static final int ABORT_STATUS = 134;

    private static final MlpWorkload MLP = new MlpWorkload(128, 32, 2, 16);

    /** Creates the workload. */
    public HaltsOnFloat16Workload() {}

    @Override
    public String name() {
        return "halts-on-float16";
    }

    @Override
    public Model newModel(String engine, Device device) {
        Model model = MLP.newModel(engine, device);
        ((SequentialBlock) model.getBlock())
                .add(
                        new LambdaBlock(
                                list -> {
                                    if (list.head().getDataType() == DataType.FLOAT16) {
                                        Runtime.getRuntime().halt(ABORT_STATUS);
                                    }
                                    return list;
                                },
                                "identity"));
        return model;
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

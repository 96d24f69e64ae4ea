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

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A small MLP with a block that misbehaves natively when float16 reaches it: {@code
 * sigfpe-on-float16} sends its own JVM a real SIGFPE (HotSpot then writes its fatal error report
 * and exits with status 134, as after oneDNN's division by zero), {@code hangs-on-float16} never
 * returns. The matrix rebuilds it in a child JVM by its name.
 */
public final class MisbehavesOnFloat16Workload implements CompatWorkload {

    static final String SIGFPE = "sigfpe-on-float16";
    static final String HANGS = "hangs-on-float16";

    private static final MlpWorkload MLP = new MlpWorkload(128, 32, 2, 16);

    private final String name;

    /**
     * Creates the workload.
     *
     * @param name {@code sigfpe-on-float16} or {@code hangs-on-float16}
     */
    public MisbehavesOnFloat16Workload(String name) {
        if (!name.equals(SIGFPE) && !name.equals(HANGS)) {
            throw new IllegalArgumentException(name + ": use " + SIGFPE + " or " + HANGS);
        }
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Model newModel(String engine, Device device) {
        Model model = MLP.newModel(engine, device);
        ((SequentialBlock) model.getBlock())
                .add(
                        new LambdaBlock(
                                list -> {
                                    if (list.head().getDataType() == DataType.FLOAT16) {
                                        misbehave();
                                    }
                                    return list;
                                },
                                "identity"));
        return model;
    }

    private void misbehave() {
        try {
            if (name.equals(SIGFPE)) {
                String pid = Long.toString(ProcessHandle.current().pid());
                new ProcessBuilder("kill", "-FPE", pid).start().waitFor();
            }
            Thread.sleep(600_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

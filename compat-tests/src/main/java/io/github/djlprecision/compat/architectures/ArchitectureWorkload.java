package io.github.djlprecision.compat.architectures;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Dataset;

import io.github.djlprecision.compat.CompatWorkload;
import io.github.djlprecision.compat.digits.DigitsWorkload;

/**
 * One architecture of the matrix's architecture axis, trained for a few steps on the digits:
 * {@value #STEPS_PER_EPOCH} batch of two images per epoch (four for ResNet-50), {@value #EPOCHS}
 * epochs, so the second step repeats the first one's batch. LibTorch's CPU float16 convolutions are
 * reference kernels and the axis has 150 cells: a ResNet-50 step takes seconds there. Enough to see
 * that forward, backward and the optimizer step run in the precision, with the data types each
 * needs; too short to compare losses between precisions.
 *
 * <p>It has a constructor taking its name, so that the matrix can rebuild it in a child JVM.
 */
public final class ArchitectureWorkload implements CompatWorkload {

    /** Training steps per epoch. */
    public static final int STEPS_PER_EPOCH = 1;

    /** Passes over the training images: the second repeats the first one's batch. */
    public static final int EPOCHS = 2;

    private final DigitsWorkload digits;

    /**
     * Creates the workload of an architecture.
     *
     * @param name the architecture's id, e.g. {@code "resnet18"} (see {@link Architecture#id()})
     * @throws IllegalArgumentException for an unknown id, naming the accepted ones
     */
    public ArchitectureWorkload(String name) {
        Architecture architecture = Architecture.of(name);
        digits =
                DigitsWorkload.builder()
                        .setName(architecture.id())
                        .setModel(architecture.description(), architecture::newBlock)
                        .optInput(architecture.input())
                        .optTrainingSamples(STEPS_PER_EPOCH * architecture.batchSize())
                        .optBatchSize(architecture.batchSize())
                        .optEpochs(EPOCHS)
                        .optLearningRate(0.02f)
                        .optTestSet(false)
                        .build();
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
    public int epochs() {
        return digits.epochs();
    }
}

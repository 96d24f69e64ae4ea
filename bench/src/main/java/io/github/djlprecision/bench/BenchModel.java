package io.github.djlprecision.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

/**
 * A model of the GPU benchmarks and the synthetic batch it runs on. {@link GpuModels} builds them;
 * {@code twin_models.py} builds the same networks and batches in PyTorch.
 */
interface BenchModel {

    /**
     * Returns the name used on the command line ({@code mlp}, {@code resnet50}, {@code bert}).
     *
     * @return the name
     */
    String name();

    /**
     * Returns the architecture and sizes in words, for reports.
     *
     * @return the description
     */
    String describe();

    /**
     * Returns the training batch size.
     *
     * @return samples per batch
     */
    int defaultBatch();

    /**
     * Builds the network with uninitialized parameters.
     *
     * @return a new block
     */
    Block newBlock();

    /**
     * Returns the input shapes for a batch size.
     *
     * @param batch samples per batch
     * @return one shape per input
     */
    Shape[] inputShapes(int batch);

    /**
     * Makes a random input batch on the manager's device.
     *
     * @param manager where the arrays are made
     * @param batch samples per batch
     * @return the inputs, in the order of {@link #inputShapes}
     */
    NDList inputs(NDManager manager, int batch);

    /**
     * Makes random class labels (INT64, shape (batch)) on the manager's device.
     *
     * @param manager where the array is made
     * @param batch samples per batch
     * @return the labels
     */
    NDArray labels(NDManager manager, int batch);
}

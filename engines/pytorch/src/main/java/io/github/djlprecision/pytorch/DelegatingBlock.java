package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djlprecision.spi.ForwardingBlock;

/**
 * A block put in place of a child block for the time a plugin runs, that changes only how the
 * forward pass is entered, with or without labels; all else is the wrapped block's own (see {@link
 * ForwardingBlock}). {@link WrappedChildren} counts the plugins that hold it.
 */
abstract class DelegatingBlock extends ForwardingBlock {

    private int holders;

    /**
     * Wraps a block.
     *
     * @param block the block whose forward pass this one enters
     */
    DelegatingBlock(Block block) {
        super(block);
    }

    /** Counts one more plugin that needs this wrapper; called under the container's lock. */
    void hold() {
        holders++;
    }

    /**
     * Counts one plugin less; called under the container's lock.
     *
     * @return how many still need the wrapper
     */
    int release() {
        return --holders;
    }

    /**
     * Runs the wrapped block's forward pass, however it is entered.
     *
     * @param parameterStore the parameter store
     * @param inputs the inputs
     * @param labels the labels, or null for a forward pass without them
     * @param training whether this is a training pass
     * @param params optional parameters
     * @return the outputs
     */
    protected abstract NDList forwardWrapped(
            ParameterStore parameterStore,
            NDList inputs,
            NDList labels,
            boolean training,
            PairList<String, Object> params);

    /**
     * Calls the wrapped block with the labels or without, as the caller did.
     *
     * @param parameterStore the parameter store
     * @param inputs the inputs
     * @param labels the labels, or null
     * @param training whether this is a training pass
     * @param params optional parameters
     * @return the wrapped block's outputs
     */
    protected final NDList callBlock(
            ParameterStore parameterStore,
            NDList inputs,
            NDList labels,
            boolean training,
            PairList<String, Object> params) {
        return labels == null
                ? getBlock().forward(parameterStore, inputs, training, params)
                : getBlock().forward(parameterStore, inputs, labels, params);
    }

    @Override
    public final NDList forward(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return forwardWrapped(parameterStore, inputs, null, training, params);
    }

    @Override
    public final NDList forward(
            ParameterStore parameterStore,
            NDList data,
            NDList labels,
            PairList<String, Object> params) {
        return forwardWrapped(parameterStore, data, labels, true, params);
    }
}

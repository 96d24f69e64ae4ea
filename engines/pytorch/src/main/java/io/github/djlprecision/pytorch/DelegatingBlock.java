package io.github.djlprecision.pytorch;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A block put in place of a child block for the time a plugin runs, that changes only how the
 * forward pass is entered: children, parameters (and so their names), initialisation, saving and
 * loading are the wrapped block's own, so a model saved while wrapped loads into the unwrapped
 * model and back. {@link WrappedChildren} counts the plugins that hold it.
 */
abstract class DelegatingBlock implements Block {

    private final Block block;
    private int holders;

    /**
     * Wraps a block.
     *
     * @param block the block whose forward pass this one enters
     */
    DelegatingBlock(Block block) {
        this.block = block;
    }

    /**
     * Returns the wrapped block.
     *
     * @return the block
     */
    Block getBlock() {
        return block;
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
                ? block.forward(parameterStore, inputs, training, params)
                : block.forward(parameterStore, inputs, labels, params);
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

    @Override
    public void setInitializer(Initializer initializer, Parameter.Type type) {
        block.setInitializer(initializer, type);
    }

    @Override
    public void setInitializer(Initializer initializer, String paramName) {
        block.setInitializer(initializer, paramName);
    }

    @Override
    public void setInitializer(Initializer initializer, Predicate<Parameter> predicate) {
        block.setInitializer(initializer, predicate);
    }

    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        block.initialize(manager, dataType, inputShapes);
    }

    @Override
    public boolean isInitialized() {
        return block.isInitialized();
    }

    @Override
    public void cast(DataType dataType) {
        block.cast(dataType);
    }

    @Override
    public void clear() {
        block.clear();
    }

    @Override
    public PairList<String, Shape> describeInput() {
        return block.describeInput();
    }

    @Override
    public BlockList getChildren() {
        return block.getChildren();
    }

    @Override
    public ParameterList getDirectParameters() {
        return block.getDirectParameters();
    }

    @Override
    public ParameterList getParameters() {
        return block.getParameters();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return block.getOutputShapes(inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes, DataType[] inputDataTypes) {
        return block.getOutputShapes(inputShapes, inputDataTypes);
    }

    @Override
    public Shape[] getInputShapes() {
        return block.getInputShapes();
    }

    @Override
    public DataType[] getOutputDataTypes() {
        return block.getOutputDataTypes();
    }

    @Override
    public void saveParameters(DataOutputStream os) throws IOException {
        block.saveParameters(os);
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        block.loadParameters(manager, is);
    }

    @Override
    public void freezeParameters(boolean freeze) {
        block.freezeParameters(freeze);
    }

    @Override
    public void freezeParameters(boolean freeze, Predicate<Parameter> pred) {
        block.freezeParameters(freeze, pred);
    }

    @Override
    public Map<String, String> getCustomMetadata() {
        return block.getCustomMetadata();
    }

    @Override
    public String toString() {
        return block.toString();
    }
}

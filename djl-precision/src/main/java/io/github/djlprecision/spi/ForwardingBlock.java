package io.github.djlprecision.spi;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A DJL {@link Block} that hands every method but the forward pass to a wrapped block, after
 * Guava's {@code ForwardingObject}. A subclass implements {@code forward(ParameterStore, NDList,
 * boolean, PairList)} (and, if it needs the labels, the overload that takes them) to change how the
 * forward pass is entered; the wrapped block's children, parameters and their names, shapes,
 * initialisation, casting, freezing, saving and loading stay as they are, so a model saved while
 * wrapped loads into the unwrapped model and back.
 *
 * <p>The forward overload with labels is left to {@link Block}'s default, which calls this block's
 * forward pass with {@code training} true. {@link #toString()} is the wrapped block's.
 */
public abstract class ForwardingBlock implements Block {

    private final Block block;

    /**
     * Wraps a block.
     *
     * @param block the block every method but the forward pass is handed to
     * @throws NullPointerException if {@code block} is null
     */
    protected ForwardingBlock(Block block) {
        this.block = Objects.requireNonNull(block, "block");
    }

    /**
     * Returns the wrapped block.
     *
     * @return the block every method but the forward pass is handed to
     */
    public Block getBlock() {
        return block;
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

package io.github.djlprecision.inference;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
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
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Runs a model's forward passes in a precision, for inference through DJL's own {@code
 * Predictor}: {@link #wrap} puts this block in front of the model's block, so {@code
 * model.newPredictor(translator)} computes in 16 bits and the translator sees fp32 outputs.
 *
 * <pre>{@code
 * PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed"));
 * try (Predictor<I, O> predictor = model.newPredictor(translator)) { ... }
 * }</pre>
 *
 * <p>Everything but the forward pass is the wrapped block's own, so parameter names, saving and
 * loading are unchanged. For training use {@code PrecisionTrainer}, which calls the same hooks.
 */
public final class PrecisionBlock implements Block {

    private final Block block;
    private final PrecisionPlugin plugin;

    private PrecisionBlock(Block block, PrecisionPlugin plugin) {
        this.block = block;
        this.plugin = plugin;
    }

    /**
     * Makes a model's forward passes run in a precision, by setting a {@code PrecisionBlock}
     * around its block.
     *
     * @param model a model whose parameters exist (loaded or initialized), on the device it will
     *     run on
     * @param precisionConfig the precision
     * @return the block now set on the model
     * @throws UnsupportedPrecisionException if no installed plugin can run this precision for
     *     inference on the model's engine, device and blocks (e.g. {@code 16-true} on fp32
     *     parameters: DJL cannot cast them)
     */
    public static PrecisionBlock wrap(Model model, PrecisionConfig precisionConfig) {
        Block block = model.getBlock();
        if (block == null) {
            throw new IllegalStateException("You must set the model's block before wrapping it");
        }
        if (!block.isInitialized()) {
            // the plugin checks the parameters' data types against the precision
            throw new IllegalStateException(
                    "Load or initialize the model's parameters before wrapping it for inference");
        }
        if (block instanceof PrecisionBlock) {
            throw new IllegalStateException(
                    "The model already runs in " + ((PrecisionBlock) block).plugin.getPrecision());
        }
        PrecisionPlugin plugin =
                PrecisionPlugins.create(
                        new PluginRequest(
                                model.getNDManager().getEngine().getEngineName(),
                                model.getNDManager().getDevice(),
                                precisionConfig,
                                PluginRequest.Purpose.INFERENCE,
                                model));
        PrecisionBlock wrapper = new PrecisionBlock(block, plugin);
        model.setBlock(wrapper);
        return wrapper;
    }

    /**
     * Returns the plugin the forward passes run through.
     *
     * @return the plugin
     */
    public PrecisionPlugin getPlugin() {
        return plugin;
    }

    /**
     * Returns the wrapped block.
     *
     * @return the model's own block
     */
    public Block getBlock() {
        return block;
    }

    @Override
    public NDList forward(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDList converted = plugin.convertInput(inputs);
        Device device = converted.isEmpty() ? Device.cpu() : converted.head().getDevice();
        NDList output;
        try (ForwardContext ignored = plugin.forwardContext(device)) {
            output = block.forward(parameterStore, converted, training, params);
        }
        return plugin.convertOutput(output);
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
    public Map<String, String> getCustomMetadata() {
        return block.getCustomMetadata();
    }

    @Override
    public String toString() {
        return plugin.getPrecision() + " via " + plugin.getPath() + ": " + block;
    }
}

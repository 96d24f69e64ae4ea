package io.github.djlprecision.inference;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.WeightConversion;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.ForwardingBlock;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;

/**
 * Runs a model's forward passes in a precision, for inference through DJL's own {@code
 * Predictor}: {@link #wrap} puts this block in front of the model's block, so {@code
 * model.newPredictor(translator)} computes in 16 bits and the translator sees fp32 outputs.
 *
 * <pre>{@code
 * PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of("16-mixed"));
 * System.out.println(block.getPath()); // what runs
 * try (Predictor<I, O> predictor = model.newPredictor(translator)) { ... }
 * }</pre>
 *
 * <p>Which path runs is the plugin's choice, following one setting, {@link
 * PrecisionConfig#getWeightConversion()}. With the default, {@link WeightConversion#AUTO}, a
 * precision that computes in fp16 converts the model's fp32 weights to fp16 once, keeping batch
 * norm in fp32 (PyTorch's {@code model.half()} serving recipe): autocast would otherwise cast every
 * weight on every call, which costs more than it saves when batches are small. {@code 16-true} then
 * runs the converted model as it is; {@code 16-mixed} still runs it under autocast, which keeps
 * autocast's fp32 operations (layer norm, for one) but finds the weights already in fp16. {@link
 * WeightConversion#NEVER} keeps fp32 weights (e.g. shared with a trainer) and casts them per call;
 * {@code bf16-mixed} always does, since DJL cannot hold bfloat16 parameters. {@link #getPath()}
 * names the path in effect and, where conversion was possible but not done, why.
 *
 * <p>Everything but the forward pass is the wrapped block's own (a {@link ForwardingBlock}), so
 * parameter names, saving and loading are unchanged: a converted model saves fp16 weights, and
 * {@code Model.load} gives them back in fp16 with the model property {@link
 * WeightConversion#PROPERTY} saying so. {@link #unwrap()} gives the model back as it was before
 * {@code wrap}, fp32 weights bit for bit. For training use {@code PrecisionTrainer}, which calls the
 * same hooks.
 */
public final class PrecisionBlock extends ForwardingBlock {

    private final PrecisionPlugin plugin;
    private final Model model;

    private PrecisionBlock(Block block, PrecisionPlugin plugin, Model model) {
        super(block);
        this.plugin = plugin;
        this.model = model;
    }

    /**
     * Makes a model's forward passes run in a precision, by setting a {@code PrecisionBlock} around
     * its block. Where the path converts weights (see the class comment) it does so here, once,
     * releasing the fp32 device arrays and keeping their values in host memory (the fp32 size) so
     * that {@link #unwrap()} can put them back; create predictors after this call, since a
     * predictor made before keeps the released arrays.
     *
     * @param model a model whose parameters exist (loaded or initialized), on the device it will
     *     run on
     * @param precisionConfig the precision, and whether weights may be converted
     * @return the block now set on the model
     * @throws UnsupportedPrecisionException if no installed plugin can run this precision for
     *     inference on the model's engine, device and blocks, naming why (e.g. {@code 16-true} on
     *     fp32 parameters with {@link WeightConversion#NEVER}), or with {@link
     *     WeightConversion#ALWAYS} if the plugin's path does not hold fp16 weights
     * @throws IllegalStateException if the model has no block, its parameters do not exist yet, or
     *     it is already wrapped
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
        if (precisionConfig.getWeightConversion() == WeightConversion.ALWAYS
                && plugin.getParameterType() != DataType.FLOAT16) {
            plugin.close();
            throw new UnsupportedPrecisionException(
                    "Weight conversion ALWAYS needs float16 weights, but "
                            + plugin.getPath()
                            + " holds "
                            + plugin.getParameterType()
                            + " ones on the "
                            + model.getNDManager().getEngine().getEngineName()
                            + " engine. Use AUTO to run the weights as they are.");
        }
        // e.g. converts fp32 weights to fp16 once
        plugin.convertModule(model);
        PrecisionBlock wrapper = new PrecisionBlock(block, plugin, model);
        model.setBlock(wrapper);
        return wrapper;
    }

    /**
     * Undoes {@link #wrap}: sets the wrapped block back on the model and puts back the fp32 weights
     * a conversion replaced, with the model's data type and its {@link WeightConversion#PROPERTY}
     * as they were before, so that the model computes in fp32 again and a {@code model.save} after
     * it writes what it held before {@code wrap} (which a plain DJL {@code Predictor} serves). The
     * values are bit-identical to those before {@code wrap}. Blocks placed around parts of the
     * model (fp32 islands) are taken out, and the plugin is closed. Create predictors after this
     * call, since a predictor made before keeps the fp16 arrays.
     *
     * @return the model's block as it was before {@code wrap}
     * @throws IllegalStateException if this block is no longer the model's block (unwrapped
     *     already, or replaced)
     */
    public Block unwrap() {
        if (model.getBlock() != this) {
            throw new IllegalStateException(
                    "This PrecisionBlock is not the model's block (unwrapped already, or replaced):"
                            + " nothing was changed.");
        }
        Block block = getBlock();
        model.setBlock(block);
        try {
            plugin.restoreModule(model);
        } finally {
            plugin.close();
        }
        return block;
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
     * Returns what runs on every forward pass, e.g. {@code "native-autocast(cuda, float16)"} or
     * {@code "converted-weights(float16, float32 norm layers)"}: the plugin's {@link
     * PrecisionPlugin#getPath()}.
     *
     * @return the path in effect
     */
    public String getPath() {
        return plugin.getPath();
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
            output = getBlock().forward(parameterStore, converted, training, params);
        }
        return plugin.convertOutput(output);
    }

    @Override
    public String toString() {
        return plugin.getPrecision() + " via " + plugin.getPath() + ": " + getBlock();
    }
}

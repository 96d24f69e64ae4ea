package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.AmpLevel;
import io.github.djlprecision.ChannelsLast;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.FusedOptimizer;
import io.github.djlprecision.spi.PluginContext;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.UnscaledGradients;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A precision's plugin with its convolutions in the channels-last memory format ({@link
 * ChannelsLast}): every 4-D parameter is converted once, after the wrapped plugin's {@link
 * #convertModule}, and every 4-D input on each forward pass, after the wrapped plugin's {@link
 * #convertInput}. Everything else is the wrapped plugin's; the path says {@code "; channels-last"}
 * once the model is known to have convolutions.
 */
final class ChannelsLastPlugin implements PrecisionPlugin {

    private final PrecisionPlugin plugin;
    private final ChannelsLastFormat format;
    private Boolean convolutional;

    private ChannelsLastPlugin(PrecisionPlugin plugin, ChannelsLastFormat format, Model model) {
        this.plugin = plugin;
        this.format = format;
        Block root = model == null ? null : model.getBlock();
        convolutional = root == null ? null : ChannelsLastFormat.hasConvolutions(root);
    }

    /**
     * Wraps a plugin where the setting asks for channels-last.
     *
     * @param plugin the precision's plugin; the result owns it
     * @param config the user's settings
     * @param device the device the model computes on
     * @param model the model, or null when there is none yet
     * @return the wrapping plugin, or {@code plugin} itself
     */
    static PrecisionPlugin wrapIfEnabled(
            PrecisionPlugin plugin, PrecisionConfig config, Device device, Model model) {
        if (!isEnabled(config, device)) {
            return plugin;
        }
        LibTorchMemoryFormat memoryFormat;
        try {
            memoryFormat = LibTorchMemoryFormat.get();
        } catch (LibTorchUnavailableException e) {
            if (config.getChannelsLast() == ChannelsLast.ALWAYS) {
                plugin.close();
                throw new UnsupportedPrecisionException(
                        "ChannelsLast.ALWAYS cannot convert tensors: "
                                + e.getMessage()
                                + " Use ChannelsLast.AUTO or NEVER.");
            }
            return plugin;
        }
        return new ChannelsLastPlugin(plugin, new ChannelsLastFormat(memoryFormat), model);
    }

    /**
     * Returns whether a setting converts on a device: {@code ALWAYS} everywhere, {@code AUTO} on
     * CUDA when the forward computes in 16 bits (not Apex O0, which is fp32).
     */
    static boolean isEnabled(PrecisionConfig config, Device device) {
        switch (config.getChannelsLast()) {
            case ALWAYS:
                return true;
            case NEVER:
                return false;
            default:
                return device.isGpu()
                        && config.getPrecision().computeType().getNumOfBytes() == 2
                        && config.getAmpLevel().orElse(null) != AmpLevel.O0;
        }
    }

    @Override
    public Precision getPrecision() {
        return plugin.getPrecision();
    }

    @Override
    public String getPath() {
        return plugin.getPath() + (Boolean.TRUE.equals(convolutional) ? "; channels-last" : "");
    }

    @Override
    public DataType getParameterType() {
        return plugin.getParameterType();
    }

    @Override
    public DataType getWorkingParameterType() {
        return plugin.getWorkingParameterType();
    }

    @Override
    public void onTrainerCreated(PluginContext context) {
        plugin.onTrainerCreated(context);
    }

    @Override
    public void beforeInitialize(Model model) {
        plugin.beforeInitialize(model);
    }

    @Override
    public void convertModule(Model model) {
        plugin.convertModule(model);
        convolutional = format.convertParameters(model.getBlock()) > 0;
    }

    @Override
    public NDArray convertParameter(Parameter parameter, NDArray value) {
        return plugin.convertParameter(parameter, value);
    }

    @Override
    public ForwardContext forwardContext(Device device) {
        return plugin.forwardContext(device);
    }

    @Override
    public NDList convertInput(NDList input) {
        NDList converted = plugin.convertInput(input);
        return Boolean.FALSE.equals(convolutional) ? converted : format.convertInputs(converted);
    }

    @Override
    public NDList convertOutput(NDList output) {
        return plugin.convertOutput(output);
    }

    @Override
    public NDArray preBackward(NDArray loss) {
        return plugin.preBackward(loss);
    }

    @Override
    public UnscaledGradients unscaleGradients(StepContext step) {
        return plugin.unscaleGradients(step);
    }

    @Override
    public boolean supportsGradientClipping() {
        return plugin.supportsGradientClipping();
    }

    @Override
    public void clipGradients(List<NDArray> gradients, GradientClipping clipping) {
        plugin.clipGradients(gradients, clipping);
    }

    @Override
    public Optional<FusedOptimizer> fuseOptimizer(Optimizer optimizer) {
        return plugin.fuseOptimizer(optimizer);
    }

    @Override
    public AmpKernels getKernels() {
        return plugin.getKernels();
    }

    @Override
    public void updateAfterStep(NDArray foundInf) {
        plugin.updateAfterStep(foundInf);
    }

    @Override
    public Optional<NDArray> getLossScale() {
        return plugin.getLossScale();
    }

    @Override
    public Map<String, String> stateDict() {
        return plugin.stateDict();
    }

    @Override
    public void loadStateDict(Map<String, String> state) {
        plugin.loadStateDict(state);
    }

    @Override
    public void close() {
        plugin.close();
    }
}

package io.github.djlprecision.spi;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A plugin that hands every hook to another plugin, the base of a {@link PluginDecorator}'s
 * plugin (Guava's {@code ForwardingObject} pattern): a decorator overrides the hooks it changes and
 * inherits the rest, so a hook added to {@link PrecisionPlugin} later is forwarded, not silently
 * left at its no-op default. Which plugin receives a hook may change from call to call (the
 * precision circuit breaker forwards to the rung in effect).
 */
public abstract class ForwardingPrecisionPlugin implements PrecisionPlugin {

    /** Creates the plugin; {@link #delegate()} names where each hook goes. */
    protected ForwardingPrecisionPlugin() {}

    /**
     * Returns the plugin the next hook goes to.
     *
     * @return the plugin, never null
     */
    protected abstract PrecisionPlugin delegate();

    @Override
    public Precision getPrecision() {
        return delegate().getPrecision();
    }

    @Override
    public String getPath() {
        return delegate().getPath();
    }

    @Override
    public DataType getParameterType() {
        return delegate().getParameterType();
    }

    @Override
    public DataType getWorkingParameterType() {
        return delegate().getWorkingParameterType();
    }

    @Override
    public void onTrainerCreated(PluginContext context) {
        delegate().onTrainerCreated(context);
    }

    @Override
    public void beforeInitialize(Model model) {
        delegate().beforeInitialize(model);
    }

    @Override
    public void convertModule(Model model) {
        delegate().convertModule(model);
    }

    @Override
    public void restoreModule(Model model) {
        delegate().restoreModule(model);
    }

    @Override
    public NDArray convertParameter(Parameter parameter, NDArray value) {
        return delegate().convertParameter(parameter, value);
    }

    @Override
    public ForwardContext forwardContext(Device device) {
        return delegate().forwardContext(device);
    }

    @Override
    public NDList convertInput(NDList input) {
        return delegate().convertInput(input);
    }

    @Override
    public NDList convertOutput(NDList output) {
        return delegate().convertOutput(output);
    }

    @Override
    public NDArray preBackward(NDArray loss) {
        return delegate().preBackward(loss);
    }

    @Override
    public UnscaledGradients unscaleGradients(StepContext step) {
        return delegate().unscaleGradients(step);
    }

    @Override
    public boolean supportsGradientClipping() {
        return delegate().supportsGradientClipping();
    }

    @Override
    public void clipGradients(List<NDArray> gradients, GradientClipping clipping) {
        delegate().clipGradients(gradients, clipping);
    }

    @Override
    public Optional<FusedOptimizer> fuseOptimizer(Optimizer optimizer) {
        return delegate().fuseOptimizer(optimizer);
    }

    @Override
    public AmpKernels getKernels() {
        return delegate().getKernels();
    }

    @Override
    public void updateAfterStep(NDArray foundInf) {
        delegate().updateAfterStep(foundInf);
    }

    @Override
    public Optional<NDArray> getLossScale() {
        return delegate().getLossScale();
    }

    @Override
    public Map<String, String> stateDict() {
        return delegate().stateDict();
    }

    @Override
    public void loadStateDict(Map<String, String> state) {
        delegate().loadStateDict(state);
    }

    @Override
    public void close() {
        delegate().close();
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.FusedOptimizer;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.UnscaledGradients;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Apex O2 for {@code 16-mixed}: the forward computes with fp16 copies of the weights, batch- and
 * layer-norm layers stay fp32, the optimizer updates fp32 master weights, and dynamic loss scaling
 * guards fp16's range. It is also the fallback when LibTorch's autocast cannot be used.
 *
 * <p>The model's own parameters are the fp32 master weights, so {@code model.save} writes them
 * exactly and a resumed run continues from the same masters (Apex keeps them in the optimizer
 * instead, and a checkpoint of the fp16 model loses them). The fp16 working copies exist only in
 * the trainer's parameter store, one per device, refreshed from the masters after every applied
 * step. Each step copies the scaled fp16 gradients to fp32, unscales and checks them there, so small
 * gradients do not underflow in fp16, and the optimizer and its state see fp32 only.
 */
final class ApexO2Precision extends MixedPrecision {

    private final RecurrentStates states;
    private final FusedOptimizers fusion;
    private Set<Parameter> norms = Set.of();

    /**
     * Creates the plugin.
     *
     * @param scaler the loss scaler
     * @param path what runs, for {@link #getPath()}
     * @param states gives recurrent blocks their initial states in fp16
     * @param fusion chooses a fused optimizer, which updates the fp32 masters
     */
    ApexO2Precision(
            DynamicLossScaler scaler,
            AmpKernels kernels,
            String path,
            RecurrentStates states,
            FusedOptimizers fusion) {
        super(Precision.HALF_MIXED, (device, type) -> ForwardContext.NONE, scaler, kernels, path);
        this.states = states;
        this.fusion = fusion;
    }

    @Override
    public String getPath() {
        return super.getPath() + fusion.describe() + LibTorchHostGuard.pathNote();
    }

    @Override
    public Optional<FusedOptimizer> fuseOptimizer(Optimizer optimizer) {
        return fusion.fuse(optimizer);
    }

    @Override
    public DataType getParameterType() {
        return DataType.FLOAT32;
    }

    /** Everything but the norm layers computes with fp16 working copies. */
    @Override
    public DataType getWorkingParameterType() {
        return DataType.FLOAT16;
    }

    @Override
    public void beforeInitialize(Model model) {
        norms = Set.copyOf(NormLayers.parameters(model.getBlock()));
    }

    /** Norm-layer parameters compute in fp32 (LibTorch's norm kernels take fp16 input with them). */
    @Override
    public NDArray convertParameter(Parameter parameter, NDArray value) {
        if (norms.contains(parameter) || value.getDataType() != DataType.FLOAT32) {
            return value;
        }
        NDArray working = value.toType(DataType.FLOAT16, true);
        working.setName(parameter.getName() + "_fp16");
        return working;
    }

    @Override
    public void convertModule(Model model) {
        states.place(model.getBlock());
    }

    @Override
    public NDList convertInput(NDList input) {
        return states.convertInput(InputCasts.toFloating(input, DataType.FLOAT16));
    }

    /** Unscales fp32 copies of the fp16 gradients, so that the optimizer works in fp32. */
    @Override
    public UnscaledGradients unscaleGradients(StepContext step) {
        List<NDArray> wide = new ArrayList<>(step.gradients().size());
        for (NDArray gradient : step.gradients()) {
            NDArray copy = gradient.toType(DataType.FLOAT32, true);
            copy.attach(step.scope());
            wide.add(copy);
        }
        return new UnscaledGradients(wide, getScaler().unscale(wide, step.scope()));
    }

    @Override
    public void close() {
        states.close();
        super.close();
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.GraphCasts;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.FusedOptimizer;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.scaling.ScalerStateDict;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code *-true} recipes: one data type for parameters, activations and gradients, as
 * Lightning's {@code HalfPrecision} and {@code DoublePrecision}.
 *
 * <p>DJL cannot cast a block ({@code Block.cast} throws), so the parameters are created in the type:
 * {@link #beforeInitialize} sets the model's data type, which DJL's initializers create parameters
 * in, also for blocks that ask for fp32 themselves ({@link TypedInitializer}). Floating inputs are
 * converted to the type; 16-bit outputs go back to fp32 so the loss (and DJL's softmax) runs in
 * fp32, while 64-bit outputs stay fp64. DJL's recurrent blocks get their initial states in the type
 * ({@link RecurrentStates}).
 */
abstract class TruePrecision implements PrecisionPlugin {

    private final Precision precision;
    private final DataType type;
    private final String path;
    private final AmpKernels kernels;
    private final RecurrentStates states;
    private final FusedOptimizers fusion;

    /**
     * Creates the plugin.
     *
     * @param precision the precision reported ({@code 16-mixed} for Apex O0 and O3)
     * @param type the data type of parameters and activations
     * @param path what runs, for {@link #getPath()}
     * @param kernels the device kernels
     * @param states gives recurrent blocks their initial states in the type, or null for fp32
     * @param fusion chooses a fused optimizer
     */
    TruePrecision(
            Precision precision,
            DataType type,
            String path,
            AmpKernels kernels,
            RecurrentStates states,
            FusedOptimizers fusion) {
        this.precision = precision;
        this.type = type;
        this.path = path;
        this.kernels = kernels;
        this.states = states;
        this.fusion = fusion;
    }

    @Override
    public Optional<FusedOptimizer> fuseOptimizer(Optimizer optimizer) {
        return fusion.fuse(optimizer);
    }

    @Override
    public AmpKernels getKernels() {
        return kernels;
    }

    @Override
    public Precision getPrecision() {
        return precision;
    }

    @Override
    public String getPath() {
        return path + fusion.describe() + LibTorchHostGuard.pathNote();
    }

    /** Keeps no state: any saved key is refused with the reason (a stale loss scale, the breaker). */
    @Override
    public void loadStateDict(Map<String, String> state) {
        ScalerStateDict.refuseForeignKeys(precision.value(), state, false);
    }

    @Override
    public DataType getParameterType() {
        return type;
    }

    @Override
    public void beforeInitialize(Model model) {
        model.setDataType(type);
        // also the blocks that ask for FLOAT32 themselves (ScaledDotProductAttentionBlock)
        TypedInitializer.createIn(model.getBlock(), type);
    }

    @Override
    public void convertModule(Model model) {
        if (states != null) {
            states.place(model.getBlock());
        }
    }

    @Override
    public NDList convertInput(NDList input) {
        NDList converted = InputCasts.toFloating(input, type);
        return states == null ? converted : states.convertInput(converted);
    }

    @Override
    public NDList convertOutput(NDList output) {
        if (type != DataType.FLOAT16) {
            return output;
        }
        NDList converted = new NDList(output.size());
        for (NDArray array : output) {
            converted.add(
                    array.getDataType() == DataType.FLOAT16 ? GraphCasts.toFloat32(array) : array);
        }
        return converted;
    }

    @Override
    public void close() {
        if (states != null) {
            states.close();
        }
    }
}

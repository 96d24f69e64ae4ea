package io.github.djlprecision.plugins;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.scaling.ScalerStateDict;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginContext;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.UnscaledGradients;
import java.util.Map;
import java.util.Optional;

/**
 * {@code 16-mixed} and {@code bf16-mixed} over an engine's autocast, as Lightning's {@code
 * MixedPrecision}: fp32 parameters, eligible operations in 16 bits inside the forward, outputs
 * back in fp32 so the loss runs in fp32, and for fp16 dynamic loss scaling (bf16 has fp32's range
 * and needs none, as in Lightning).
 */
public class MixedPrecision implements PrecisionPlugin {

    /** Opens an engine's autocast scope for a device and a 16-bit type. */
    @FunctionalInterface
    public interface Autocast {

        /**
         * Switches autocast on for the calling thread.
         *
         * @param device the device the forward runs on
         * @param computeType {@link DataType#FLOAT16} or {@link DataType#BFLOAT16}
         * @return the scope that restores the previous state
         */
        ForwardContext enter(Device device, DataType computeType);
    }

    private final Precision precision;
    private final Autocast autocast;
    private final DynamicLossScaler scaler;
    private final AmpKernels kernels;
    private final String path;

    /**
     * Creates the plugin.
     *
     * @param precision {@code 16-mixed} or {@code bf16-mixed}
     * @param autocast the engine's autocast
     * @param scaler the loss scaler, or null for none (bf16)
     * @param kernels the engine's device kernels, e.g. those the scaler uses
     * @param path what runs, for {@link #getPath()}
     * @throws IllegalArgumentException if the precision is not a mixed one
     */
    public MixedPrecision(
            Precision precision,
            Autocast autocast,
            DynamicLossScaler scaler,
            AmpKernels kernels,
            String path) {
        if (!precision.isMixed()) {
            throw new IllegalArgumentException(precision + " is not a mixed precision");
        }
        this.precision = precision;
        this.autocast = autocast;
        this.scaler = scaler;
        this.kernels = kernels;
        this.path = path;
    }

    @Override
    public Precision getPrecision() {
        return precision;
    }

    @Override
    public String getPath() {
        return path;
    }

    @Override
    public AmpKernels getKernels() {
        return kernels;
    }

    @Override
    public void onTrainerCreated(PluginContext context) {
        if (scaler != null) {
            scaler.attach(context.getManager());
        }
    }

    @Override
    public ForwardContext forwardContext(Device device) {
        return autocast.enter(device, precision.computeType());
    }

    /** Casts 16-bit floating outputs to fp32, so the loss (and DJL's softmax) runs in fp32. */
    @Override
    public NDList convertOutput(NDList output) {
        NDList converted = new NDList(output.size());
        for (NDArray array : output) {
            converted.add(isHalf(array.getDataType()) ? GraphCasts.toFloat32(array) : array);
        }
        return converted;
    }

    /**
     * Returns whether a data type is a 16-bit float as an engine reports it: DJL reads LibTorch's
     * bf16 as {@link DataType#UNKNOWN}.
     */
    private static boolean isHalf(DataType type) {
        return type == DataType.FLOAT16 || type == DataType.BFLOAT16 || type == DataType.UNKNOWN;
    }

    @Override
    public NDArray preBackward(NDArray loss) {
        return scaler == null ? loss : scaler.scale(loss);
    }

    @Override
    public UnscaledGradients unscaleGradients(StepContext step) {
        if (scaler == null) {
            return PrecisionPlugin.super.unscaleGradients(step);
        }
        return new UnscaledGradients(
                step.gradients(), scaler.unscale(step.gradients(), step.scope()));
    }

    @Override
    public void updateAfterStep(NDArray foundInf) {
        if (scaler != null) {
            scaler.update(foundInf);
        }
    }

    @Override
    public Optional<NDArray> getLossScale() {
        return scaler == null ? Optional.empty() : Optional.of(scaler.getScale());
    }

    /**
     * Returns the loss scaler, if this precision uses one.
     *
     * @return the scaler, or null for bf16
     */
    public DynamicLossScaler getScaler() {
        return scaler;
    }

    @Override
    public Map<String, String> stateDict() {
        return scaler == null ? Map.of() : ScalerStateDict.save(scaler);
    }

    /**
     * Restores the scale, the growth tracker and, as torch's {@code GradScaler.load_state_dict}
     * does, the saved growth, backoff and floor settings; only the choice of kernels stays as
     * configured. Saved values are validated like configured ones; without loss scaling a
     * saved {@code scaler.} key is refused, and so is any other key (the breaker's: see {@link
     * ScalerStateDict#refuseForeignKeys}).
     */
    @Override
    public void loadStateDict(Map<String, String> state) {
        ScalerStateDict.refuseForeignKeys(precision.value(), state, scaler != null);
        if (scaler != null) {
            ScalerStateDict.load(scaler, state);
        }
    }

    @Override
    public void close() {
        if (scaler != null) {
            scaler.close();
        }
    }
}

package io.github.djlprecision.plugins;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.scaling.GradScalerConfig;
import io.github.djlprecision.scaling.ScalerState;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.StepOutcome;
import java.util.List;
import java.util.Map;

/**
 * {@code 16-mixed} and {@code bf16-mixed} over an engine's autocast: fp32 parameters, eligible
 * operations in 16 bits inside the forward, outputs back in fp32 so the loss runs in fp32, and for
 * fp16 dynamic loss scaling (bf16 has fp32's range and needs none, as in Lightning).
 */
public class MixedPrecisionPlugin implements PrecisionPlugin {

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

    private static final String SCALE = "scaler.scale";
    private static final String GROWTH_TRACKER = "scaler.growth_tracker";
    private static final String INIT_SCALE = "scaler.init_scale";
    private static final String GROWTH_FACTOR = "scaler.growth_factor";
    private static final String BACKOFF_FACTOR = "scaler.backoff_factor";
    private static final String GROWTH_INTERVAL = "scaler.growth_interval";

    private final Precision precision;
    private final Autocast autocast;
    private final DynamicLossScaler scaler;
    private final String path;

    /**
     * Creates the plugin.
     *
     * @param precision {@code 16-mixed} or {@code bf16-mixed}
     * @param autocast the engine's autocast
     * @param scaler the loss scaler, or null for none (bf16)
     * @param path what runs, for {@link #getPath()}
     */
    public MixedPrecisionPlugin(
            Precision precision, Autocast autocast, DynamicLossScaler scaler, String path) {
        if (!precision.isMixed()) {
            throw new IllegalArgumentException(precision + " is not a mixed precision");
        }
        this.precision = precision;
        this.autocast = autocast;
        this.scaler = scaler;
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
    public ForwardContext forwardContext(Device device) {
        return autocast.enter(device, precision.computeType());
    }

    /** Casts 16-bit floating outputs to fp32, so the loss (and DJL's softmax) runs in fp32. */
    @Override
    public NDList convertOutput(NDList output) {
        NDList converted = new NDList(output.size());
        for (NDArray array : output) {
            converted.add(isHalf(array.getDataType()) ? toFloat32(array) : array);
        }
        return converted;
    }

    /**
     * Returns whether a data type is a 16-bit float as the engine reports it.
     *
     * @param type the data type an output reports
     * @return true for fp16 and bf16
     */
    protected boolean isHalf(DataType type) {
        return type == DataType.FLOAT16 || type == DataType.BFLOAT16;
    }

    /**
     * Casts one output to fp32 inside the autograd graph.
     *
     * @param array a 16-bit output
     * @return the fp32 array
     */
    protected NDArray toFloat32(NDArray array) {
        return GraphCasts.toFloat32(array);
    }

    @Override
    public NDArray preBackward(NDArray loss) {
        return scaler == null ? loss : scaler.scale(loss);
    }

    @Override
    public StepOutcome optimizerStep(StepContext context) {
        if (scaler == null) {
            return PrecisionPlugin.super.optimizerStep(context);
        }
        List<NDArray> gradients = context.gradients();
        boolean nonFinite = scaler.unscaleAndCheck(gradients);
        if (nonFinite) {
            scaler.discard(gradients);
        } else {
            context.clipping().ifPresent(c -> clipGradients(gradients, c));
            context.applyUpdate();
        }
        return scaler.update(nonFinite);
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
        if (scaler == null) {
            return Map.of();
        }
        ScalerState state = scaler.getState();
        GradScalerConfig config = scaler.getConfig();
        return Map.of(
                SCALE,
                Float.toString(state.scale()),
                GROWTH_TRACKER,
                Integer.toString(state.growthTracker()),
                INIT_SCALE,
                Float.toString(config.getInitScale()),
                GROWTH_FACTOR,
                Float.toString(config.getGrowthFactor()),
                BACKOFF_FACTOR,
                Float.toString(config.getBackoffFactor()),
                GROWTH_INTERVAL,
                Integer.toString(config.getGrowthInterval()));
    }

    /**
     * Restores the scale, the growth tracker and, as torch's {@code GradScaler.load_state_dict}
     * does, the saved growth and backoff settings; only the choice of kernels stays as configured.
     * Saved values are validated like configured ones.
     */
    @Override
    public void loadStateDict(Map<String, String> state) {
        if (scaler == null || !state.containsKey(SCALE)) {
            return;
        }
        GradScalerConfig current = scaler.getConfig();
        GradScalerConfig saved =
                GradScalerConfig.builder()
                        .optInitScale(parse(state, INIT_SCALE, current.getInitScale()))
                        .optGrowthFactor(parse(state, GROWTH_FACTOR, current.getGrowthFactor()))
                        .optBackoffFactor(parse(state, BACKOFF_FACTOR, current.getBackoffFactor()))
                        .optGrowthInterval(
                                Integer.parseInt(
                                        state.getOrDefault(
                                                GROWTH_INTERVAL,
                                                Integer.toString(current.getGrowthInterval()))))
                        .optFusedKernels(current.isFusedKernels())
                        .build();
        scaler.restore(
                new ScalerState(
                        Float.parseFloat(state.get(SCALE)),
                        Integer.parseInt(state.getOrDefault(GROWTH_TRACKER, "0"))),
                saved);
    }

    private static float parse(Map<String, String> state, String key, float otherwise) {
        String value = state.get(key);
        return value == null ? otherwise : Float.parseFloat(value);
    }
}

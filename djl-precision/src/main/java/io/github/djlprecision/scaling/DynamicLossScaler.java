package io.github.djlprecision.scaling;

import ai.djl.ndarray.NDArray;
import io.github.djlprecision.spi.StepOutcome;
import java.util.List;

/**
 * Dynamic loss scaling with the semantics of PyTorch's GradScaler: the loss is multiplied by the
 * scale before backward, gradients are divided by it before the optimizer, a step with inf or NaN
 * gradients is skipped and halves the scale, and a run of finite steps doubles it.
 *
 * <p>The scale lives on the host: the one device read a step needs (were the gradients finite?)
 * is enough to update it, so metrics and checkpoints cost no extra synchronisation.
 */
public final class DynamicLossScaler {

    private GradScalerConfig config;
    private final ScalerKernels kernels;
    private ScalerState state;

    /**
     * Creates a scaler at the configured initial scale.
     *
     * @param config the scaling settings
     * @param kernels the device work, fused or plain DJL
     */
    public DynamicLossScaler(GradScalerConfig config, ScalerKernels kernels) {
        this.config = config;
        this.kernels = kernels;
        state = new ScalerState(config.getInitScale(), 0);
    }

    /**
     * Multiplies the loss by the current scale.
     *
     * @param loss the fp32 loss
     * @return the scaled loss, to call backward on
     */
    public NDArray scale(NDArray loss) {
        return loss.mul(state.scale());
    }

    /**
     * Divides the gradients by the current scale in place and checks them.
     *
     * @param gradients the gradients of this step
     * @return true if any gradient was inf or NaN: the step must be skipped
     */
    public boolean unscaleAndCheck(List<NDArray> gradients) {
        return kernels.unscaleAndCheck(gradients, (float) (1.0 / state.scale()));
    }

    /**
     * Zeroes the gradients of a skipped step, keeping inf from turning into NaN.
     *
     * @param gradients the gradients of this step
     */
    public void discard(List<NDArray> gradients) {
        kernels.discardGradients(gradients);
    }

    /**
     * Moves the scale on after a step.
     *
     * @param foundNonFinite whether the step was skipped for inf or NaN gradients
     * @return what the step did, with the scale the next step uses
     */
    public StepOutcome update(boolean foundNonFinite) {
        float used = state.scale();
        state = kernels.updateScale(state, foundNonFinite, config);
        return foundNonFinite
                ? new StepOutcome(
                        false,
                        "inf or NaN gradients at loss scale " + used + "; scale now " + state.scale(),
                        state.scale())
                : new StepOutcome(true, null, state.scale());
    }

    /**
     * Returns the current scale and growth tracker.
     *
     * @return the state
     */
    public ScalerState getState() {
        return state;
    }

    /**
     * Restores a state saved from an earlier run.
     *
     * @param state the state to continue from
     */
    public void setState(ScalerState state) {
        if (!(state.scale() > 0) || Float.isInfinite(state.scale()) || state.growthTracker() < 0) {
            throw new IllegalArgumentException("Invalid loss-scaler state: " + state);
        }
        this.state = state;
    }

    /**
     * Restores a state and the settings saved with it, as {@code GradScaler.load_state_dict} does:
     * the checkpoint's growth and backoff settings replace the configured ones.
     *
     * @param state the state to continue from
     * @param config the settings the state was saved with
     */
    public void restore(ScalerState state, GradScalerConfig config) {
        setState(state);
        this.config = config;
    }

    /**
     * Returns the settings.
     *
     * @return the settings
     */
    public GradScalerConfig getConfig() {
        return config;
    }

    /**
     * Returns the name of the kernels in use ({@code fused} or {@code djl}).
     *
     * @return the kernels' name
     */
    public String getKernelsName() {
        return kernels.name();
    }
}

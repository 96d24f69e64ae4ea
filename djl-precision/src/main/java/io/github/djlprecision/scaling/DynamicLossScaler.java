package io.github.djlprecision.scaling;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.spi.AmpKernels;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dynamic loss scaling with the semantics of PyTorch's GradScaler: the loss is multiplied by the
 * scale before backward, gradients are divided by it before the optimizer, a step with inf or NaN
 * gradients is skipped and multiplies the scale by the backoff factor, and a run of finite steps
 * multiplies it by the growth factor. Unlike torch, the scale never goes below {@link
 * GradScalerConfig#getMinScale()}.
 *
 * <p>As in torch, the scale and the growth tracker live on the device, so that no step copies Java
 * data to the device or waits for it: scaling the loss, unscaling and checking the gradients and
 * updating the scale are device operations, and nothing is read back unless {@link #getState()}
 * is called. Before {@link #attach} (and after {@link #close}) the state is held on the host.
 */
public final class DynamicLossScaler implements AutoCloseable {

    private final AmpKernels kernels;
    private final Map<Device, NDArray> copies = new ConcurrentHashMap<>();
    private GradScalerConfig config;
    private ScalerState hostState;
    private NDManager manager;
    private NDArray scale;
    private NDArray growthTracker;
    private NDArray minScale;

    /**
     * Creates a scaler at the configured initial scale.
     *
     * @param config the scaling settings
     * @param kernels the device work, fused or plain DJL
     */
    public DynamicLossScaler(GradScalerConfig config, AmpKernels kernels) {
        this.config = config;
        this.kernels = kernels;
        hostState = new ScalerState(config.getInitScale(), 0);
    }

    /**
     * Moves the state onto a device: from now on it lives in arrays of a sub-manager of {@code
     * parent}.
     *
     * @param parent a manager on the first training device, living as long as the training
     */
    public void attach(NDManager parent) {
        close();
        NDManager attached = parent.newSubManager();
        try {
            attached.setName("loss-scaler");
            NDArray newScale = attached.create(new float[] {hostState.scale()});
            NDArray newTracker = attached.create(new int[] {hostState.growthTracker()});
            NDArray newMin = attached.create(new float[] {config.getMinScale()});
            manager = attached;
            scale = newScale;
            growthTracker = newTracker;
            minScale = newMin;
        } catch (RuntimeException e) {
            // e.g. a device LibTorch cannot allocate on: stay detached, holding the host state
            attached.close();
            throw e;
        }
    }

    /**
     * Multiplies the loss by the current scale, on the loss's device.
     *
     * @param loss the loss, of any shape and floating type
     * @return the scaled loss, to call backward on, a new array of the loss's shape and type
     * @throws IllegalStateException before {@link #attach}
     */
    public NDArray scale(NDArray loss) {
        NDArray factor = scaleOn(loss.getDevice());
        return loss.mul(factor.toType(loss.getDataType(), false));
    }

    /**
     * Divides the gradients by the current scale in place and checks them for inf and NaN (before
     * dividing). Below a scale of 1 unscaling enlarges gradients, so they are checked once more
     * after it.
     *
     * @param gradients the gradients of this step, on the scaler's device
     * @param scope where the step's temporary arrays go
     * @return a one-element fp32 array in {@code scope}: 1 if a gradient was not finite, else 0
     *     (torch's {@code found_inf})
     * @throws IllegalStateException before {@link #attach}
     */
    public NDArray unscale(List<NDArray> gradients, NDManager scope) {
        NDArray scaleNow = requireAttached();
        NDArray foundInf = scope.zeros(new Shape(1), DataType.FLOAT32);
        // torch: inv_scale = scale.double().reciprocal().float()
        NDArray wide = scaleNow.toType(DataType.FLOAT64, true);
        wide.attach(scope);
        NDArray invScale = wide.onesLike().div(wide).toType(DataType.FLOAT32, false);
        invScale.attach(scope);
        kernels.unscaleAndCheck(gradients, foundInf, invScale);
        if (config.getMinScale() < 1f) {
            kernels.unscaleAndCheck(gradients, foundInf, invScale.onesLike());
        }
        return foundInf;
    }

    /**
     * Moves the scale on after a step, on the device.
     *
     * @param foundInf the flag {@link #unscale} returned
     * @throws IllegalStateException before {@link #attach}
     */
    public void update(NDArray foundInf) {
        NDArray own = requireAttached();
        kernels.updateScale(own, growthTracker, foundInf, minScale, config);
        // refreshed here, at the step, so that the next backward on another device copies nothing
        // from the scaler's device (a copy between GPUs orders both devices' streams)
        if (!copies.isEmpty()) {
            List<NDArray> targets = new ArrayList<>(copies.values());
            kernels.copy(Collections.nCopies(targets.size(), own), targets);
        }
    }

    /**
     * Returns the scale as a device array.
     *
     * @return the one-element fp32 array, owned by the scaler
     * @throws IllegalStateException before {@link #attach}
     */
    public NDArray getScale() {
        return requireAttached();
    }

    /**
     * Returns the current scale and growth tracker, reading them from the device if attached.
     *
     * @return the state
     */
    public ScalerState getState() {
        if (scale == null) {
            return hostState;
        }
        return new ScalerState(scale.getFloat(), growthTracker.getInt());
    }

    /**
     * Restores a state and the settings saved with it, as {@code GradScaler.load_state_dict} does:
     * the checkpoint's growth and backoff settings replace the configured ones.
     *
     * @param state the state to continue from
     * @param settings the settings the state was saved with
     * @throws IllegalArgumentException if the scale is below the settings' floor
     */
    public void restore(ScalerState state, GradScalerConfig settings) {
        if (state.scale() < settings.getMinScale()) {
            throw new IllegalArgumentException(
                    "The saved loss scale "
                            + state.scale()
                            + " is below the floor "
                            + settings.getMinScale()
                            + "; accepted: a scale in [minScale, 3.4e38).");
        }
        NDManager parent = manager == null ? null : manager.getParentManager();
        close();
        config = settings;
        hostState = state;
        if (parent != null) {
            attach(parent);
        }
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

    /**
     * Keeps the state on the host, if its arrays are still open (closing the trainer's manager
     * closes them first), and frees the device arrays.
     */
    @Override
    public void close() {
        if (manager == null) {
            return;
        }
        if (!scale.isReleased()) {
            hostState = getState();
        }
        copies.clear();
        manager.close();
        manager = null;
        scale = null;
        growthTracker = null;
        minScale = null;
    }

    private NDArray scaleOn(Device device) {
        NDArray own = requireAttached();
        if (own.getDevice().equals(device)) {
            return own;
        }
        return copies.computeIfAbsent(
                device,
                d -> {
                    NDArray copy = own.toDevice(d, true);
                    copy.attach(manager);
                    return copy;
                });
    }

    private NDArray requireAttached() {
        if (scale == null) {
            throw new IllegalStateException(
                    "The loss scaler has no device state yet: the trainer attaches it when it is"
                            + " created.");
        }
        return scale;
    }
}

package io.github.djlprecision.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.djlprecision.spi.AmpKernels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The buffers a training forward pass updates in place (BatchNorm's running mean and variance,
 * any parameter of type {@code OTHER} that needs no gradient), copied before the first training
 * forward of a step and put back when that step is skipped. An overflowing fp16 forward writes inf
 * or NaN into them; torch's GradScaler skips only the optimizer step and leaves them so, but here
 * a skipped step leaves the whole model as it was. With a fused optimizer the flag is not read:
 * each buffer takes its copy or its new value on the device ({@code where}).
 */
final class ForwardBuffers implements AutoCloseable {

    private final NDManager manager;
    private final AmpKernels kernels;
    private final Set<Device> captured = new HashSet<>();
    private final List<NDArray> buffers = new ArrayList<>();
    private final List<NDArray> copies = new ArrayList<>();

    /**
     * @param parent a manager of the trainer's
     * @param kernels the plugin's kernels, for the copies back
     */
    ForwardBuffers(NDManager parent, AmpKernels kernels) {
        manager = parent.newSubManager();
        manager.setName("forward-buffers");
        this.kernels = kernels;
    }

    /**
     * Whether a forward pass may update a parameter in place: running statistics, and parameters
     * of type {@code OTHER} that take no gradient.
     *
     * @param parameter a parameter of the model
     * @return true for a buffer
     */
    static boolean isBuffer(Parameter parameter) {
        Parameter.Type type = parameter.getType();
        return type == Parameter.Type.RUNNING_MEAN
                || type == Parameter.Type.RUNNING_VAR
                || type == Parameter.Type.OTHER && !parameter.requiresGradient();
    }

    /**
     * Copies a device's buffers before a training forward pass on that device, unless they were
     * copied since the last step (several forward passes before one step keep the state before the
     * first). Each device is copied before its own first forward, so that forward passes of
     * several devices on several threads each find their buffers untouched.
     *
     * @param device the device the forward runs on
     * @param arrays the arrays a forward pass on that device may update
     */
    synchronized void capture(Device device, List<NDArray> arrays) {
        if (!captured.add(device)) {
            return;
        }
        for (NDArray array : arrays) {
            NDArray copy = array.duplicate();
            copy.attach(manager);
            buffers.add(array);
            copies.add(copy);
        }
    }

    /**
     * Ends a step: puts the copies back if it was skipped, then lets them go.
     *
     * @param foundInf the step's non-finite flag (nonzero: skipped), or null if nothing was checked
     * @param nonFinite what the step read of the flag, or null if it did not read it
     */
    synchronized void settle(NDArray foundInf, Boolean nonFinite) {
        if (copies.isEmpty()) {
            captured.clear();
            return;
        }
        try {
            if (Boolean.TRUE.equals(nonFinite)) {
                kernels.copy(copies, buffers);
            } else if (nonFinite == null && foundInf != null) {
                restoreWhere(foundInf);
            }
        } finally {
            discard();
        }
    }

    /** On the device: each buffer becomes its copy where the flag is set. */
    private void restoreWhere(NDArray foundInf) {
        try (NDManager scope = manager.newSubManager()) {
            Map<Device, NDArray> skipped = new HashMap<>();
            List<NDArray> chosen = new ArrayList<>(buffers.size());
            for (int i = 0; i < buffers.size(); i++) {
                NDArray buffer = buffers.get(i);
                NDArray flag =
                        skipped.computeIfAbsent(
                                buffer.getDevice(),
                                device -> {
                                    NDArray onDevice = foundInf.toDevice(device, true);
                                    onDevice.attach(scope);
                                    NDArray set = onDevice.gt(0f);
                                    set.attach(scope);
                                    return set;
                                });
                NDArray everywhere = flag.broadcast(buffer.getShape());
                everywhere.attach(scope);
                NDArray choice = NDArrays.where(everywhere, copies.get(i), buffer);
                choice.attach(scope);
                chosen.add(choice);
            }
            kernels.copy(chosen, buffers);
        }
    }

    private void discard() {
        for (NDArray copy : copies) {
            copy.close();
        }
        copies.clear();
        buffers.clear();
        captured.clear();
    }

    @Override
    public synchronized void close() {
        copies.clear();
        buffers.clear();
        manager.close();
    }
}

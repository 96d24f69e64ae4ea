package io.github.djlprecision.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import io.github.djlprecision.spi.PrecisionPlugin;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trainer's {@link ParameterStore}: as DJL's, a copy of every parameter on every training
 * device (the parameter's own array on the first), and {@link #updateAllParameters()} hands each
 * trainable parameter's copies to the {@link ParameterServer}. Two differences: the array a forward
 * pass computes with is the plugin's {@link PrecisionPlugin#convertParameter} of a device's copy,
 * made once per parameter and device (Apex O2's fp16 working copies; the copy itself for every
 * other recipe); and the copies are kept in device order, where DJL's store lists them in the
 * iteration order of a hash map of devices.
 */
final class PrecisionParameterStore extends ParameterStore {

    private final PrecisionPlugin plugin;
    private final Device[] devices;
    private final NDManager manager;
    private final ParameterServer server;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** A parameter's values on every device and the arrays the forward computes with. */
    static final class Entry {

        private final Parameter parameter;
        private final NDArray[] values;
        private final NDArray[] computed;

        private Entry(Parameter parameter, NDArray[] values) {
            this.parameter = parameter;
            this.values = values;
            computed = new NDArray[values.length];
        }

        Parameter parameter() {
            return parameter;
        }

        /** The parameter's value on each device; index 0 is the parameter's own array. */
        NDArray value(int device) {
            return values[device];
        }

        /** The array the forward computes with on a device; may be the value itself. */
        NDArray computed(int device) {
            return computed[device];
        }

        int devices() {
            return values.length;
        }
    }

    PrecisionParameterStore(
            NDManager manager, PrecisionPlugin plugin, ParameterServer server, Device[] devices) {
        super(manager, false);
        this.manager = manager;
        this.plugin = plugin;
        this.server = server;
        this.devices = devices.clone();
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        if (parameter == null) {
            return null;
        }
        int index = indexOf(device);
        Entry entry = entries.computeIfAbsent(parameter.getId(), id -> newEntry(parameter));
        synchronized (entry) {
            if (entry.computed[index] == null) {
                NDArray value = entry.values[index];
                NDArray computed = plugin.convertParameter(parameter, value);
                if (computed != value) {
                    computed.attach(manager);
                    if (parameter.requiresGradient()) {
                        computed.setRequiresGradient(true);
                    }
                }
                entry.computed[index] = computed;
            }
            followFreezing(parameter, entry.values[index]);
            if (entry.computed[index] != entry.values[index]) {
                followFreezing(parameter, entry.computed[index]);
            }
            return entry.computed[index];
        }
    }

    /** The parameter's own array on the first device, a copy on every other. */
    private Entry newEntry(Parameter parameter) {
        NDArray own = parameter.getArray();
        NDArray[] values = new NDArray[devices.length];
        for (int i = 0; i < devices.length; i++) {
            if (i == 0 && own.getDevice().equals(devices[0])) {
                values[i] = own;
            } else {
                values[i] = copyOf(own, devices[i]);
                values[i].attach(manager);
                if (parameter.requiresGradient()) {
                    values[i].setRequiresGradient(true);
                }
            }
        }
        return new Entry(parameter, values);
    }

    /**
     * Copies an array to a device, outside the autograd graph. DJL's {@code toDevice} hands back
     * the same tensor when it is on that device already (as on a second "device" of the same
     * kind), so there the array is cloned.
     */
    private static NDArray copyOf(NDArray array, Device device) {
        if (!array.getDevice().equals(device)) {
            return array.toDevice(device, true);
        }
        try (NDArray detached = array.stopGradient()) {
            return detached.duplicate();
        }
    }

    /** Asks the parameter server to update every trainable parameter, as DJL's store does. */
    @Override
    public void updateAllParameters() {
        for (Entry entry : entries.values()) {
            if (entry.parameter.requiresGradient()) {
                server.update(entry.parameter.getId(), entry.values.clone());
            }
        }
    }

    /** Nothing to copy back: the first device's value is the parameter's own array. */
    @Override
    public void sync() {}

    /**
     * Makes a copy require a gradient exactly when its parameter does. DJL's {@code
     * Parameter.freeze} changes only the parameter's own array; a copy that kept requiring one
     * would collect gradients while frozen that no step clears (steps update trainable
     * parameters only), and the first step after unfreezing would apply them all. A copy that
     * starts requiring one again starts from a zero gradient.
     */
    private void followFreezing(Parameter parameter, NDArray copy) {
        boolean wanted = parameter.requiresGradient();
        if (copy == parameter.getArray() || copy.hasGradient() == wanted) {
            return;
        }
        copy.setRequiresGradient(wanted);
        if (wanted) {
            try (NDArray gradient = copy.getGradient()) {
                plugin.getKernels().zero(List.of(gradient));
            }
        }
    }

    /**
     * Returns the entries of the parameters that require a gradient, in the order given.
     *
     * @param trainable the trainable parameters
     * @return their entries; a parameter no forward has used yet is left out
     */
    List<Entry> entries(List<Parameter> trainable) {
        List<Entry> list = new ArrayList<>(trainable.size());
        for (Parameter parameter : trainable) {
            Entry entry = entries.get(parameter.getId());
            if (entry != null) {
                list.add(entry);
            }
        }
        return list;
    }

    /**
     * Returns the entry of a parameter.
     *
     * @param parameterId the parameter's id
     * @return the entry, or null if no forward used the parameter yet
     */
    Entry entry(String parameterId) {
        return entries.get(parameterId);
    }

    private int indexOf(Device device) {
        for (int i = 0; i < devices.length; i++) {
            // Device.equals ignores the id of CPUs
            if (devices[i].equals(device) && devices[i].getDeviceId() == device.getDeviceId()) {
                return i;
            }
        }
        throw new IllegalArgumentException(
                "The forward ran on "
                        + device
                        + ", which is not one of the trainer's devices "
                        + Arrays.toString(devices)
                        + ".");
    }
}

package io.github.djlprecision.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import io.github.djlprecision.spi.PrecisionPlugin;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DJL's {@link ParameterStore}, which keeps a copy of every parameter on every training device,
 * with one addition: the array a forward pass computes with is the plugin's {@link
 * PrecisionPlugin#convertParameter} of that copy, made once per parameter and device (Apex O2's
 * fp16 working copies of fp32 values; the copy itself for every other recipe).
 */
final class PrecisionParameterStore extends ParameterStore {

    private final PrecisionPlugin plugin;
    private final Device[] devices;
    private final NDManager manager;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** A parameter's values on every device and the arrays the forward computes with. */
    static final class Entry {

        private final Parameter parameter;
        private final NDArray[] values;
        private final NDArray[] computed;

        private Entry(Parameter parameter, int devices) {
            this.parameter = parameter;
            values = new NDArray[devices];
            computed = new NDArray[devices];
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
        this.devices = devices.clone();
        setParameterServer(server, devices);
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        if (parameter == null) {
            return null;
        }
        int index = indexOf(device);
        NDArray value = super.getValue(parameter, device, training);
        Entry entry =
                entries.computeIfAbsent(
                        parameter.getId(), id -> new Entry(parameter, devices.length));
        synchronized (entry) {
            if (entry.computed[index] == null) {
                NDArray computed = plugin.convertParameter(parameter, value);
                if (computed != value) {
                    computed.attach(manager);
                    if (parameter.requiresGradient()) {
                        computed.setRequiresGradient(true);
                    }
                }
                entry.values[index] = value;
                entry.computed[index] = computed;
            }
            followFreezing(parameter, entry.values[index]);
            if (entry.computed[index] != entry.values[index]) {
                followFreezing(parameter, entry.computed[index]);
            }
            return entry.computed[index];
        }
    }

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

    int deviceCount() {
        return devices.length;
    }

    private int indexOf(Device device) {
        for (int i = 0; i < devices.length; i++) {
            if (devices[i].equals(device)) {
                return i;
            }
        }
        throw new IllegalArgumentException(
                "The forward ran on "
                        + device
                        + ", which is not one of the trainer's devices "
                        + List.of(devices)
                        + ".");
    }
}

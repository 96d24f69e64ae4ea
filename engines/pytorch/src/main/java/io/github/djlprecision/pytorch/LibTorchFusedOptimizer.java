package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djlprecision.spi.FusedOptimizer;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What LibTorch's fused optimizers share: per-parameter state made on first use, on the
 * parameters' device, in a manager of the optimizer's own; one kernel launch per learning
 * rate, since a DJL tracker may give parameters different rates; and the check of every launch's
 * arguments ({@link KernelArguments}) before the first launch.
 */
abstract class LibTorchFusedOptimizer implements FusedOptimizer {

    final LibTorchAmp amp;
    final DjlOptimizerSettings settings;
    private final Map<String, NDArray[]> states = new HashMap<>();
    private final Map<String, long[]> checkedLayouts = new HashMap<>();
    private NDManager manager;
    private int updates;
    private ChannelsLastFormat layouts;
    private boolean layoutsUnavailable;

    LibTorchFusedOptimizer(LibTorchAmp amp, DjlOptimizerSettings settings) {
        this.amp = amp;
        this.settings = settings;
    }

    @Override
    public void step(
            List<String> parameterIds,
            List<NDArray> parameters,
            List<NDArray> gradients,
            NDArray foundInf) {
        if (parameters.isEmpty()) {
            return;
        }
        List<NDArray[]> existing = new ArrayList<>(parameterIds.size());
        for (String id : parameterIds) {
            existing.add(states.getOrDefault(id, new NDArray[0]));
        }
        // every launch's arguments before the first: a kernel that threw would end the JVM
        KernelArguments.fusedStep(getName(), parameters, gradients, existing, foundInf);
        if (manager == null) {
            manager = parameters.get(0).getManager().newSubManager(parameters.get(0).getDevice());
            manager.setName("fused-optimizer");
        }
        updates++;
        Map<Float, List<Integer>> byRate = new LinkedHashMap<>();
        for (int i = 0; i < parameterIds.size(); i++) {
            float rate = settings.tracker().getNewValue(parameterIds.get(i), updates);
            byRate.computeIfAbsent(rate, r -> new ArrayList<>()).add(i);
        }
        beforeUpdate();
        for (Map.Entry<Float, List<Integer>> group : byRate.entrySet()) {
            List<Long> params = new ArrayList<>();
            List<Long> grads = new ArrayList<>();
            List<NDArray[]> slots = new ArrayList<>();
            List<NDArray> aligned = new ArrayList<>();
            for (int i : group.getValue()) {
                NDArray parameter = parameters.get(i);
                NDArray[] state =
                        states.computeIfAbsent(parameterIds.get(i), id -> newState(parameter));
                NDArray gradient =
                        alignLayouts(parameterIds.get(i), parameter, gradients.get(i), state);
                if (gradient != gradients.get(i)) {
                    aligned.add(gradient);
                }
                params.add(LibTorchAmpKernels.handle(parameter));
                grads.add(LibTorchAmpKernels.handle(gradient));
                slots.add(state);
            }
            try {
                update(params, grads, slots, group.getKey(), foundInf);
            } finally {
                aligned.forEach(NDArray::close);
            }
        }
        afterUpdate(foundInf);
    }

    /**
     * Zero-filled arrays of the parameter's shape, type and memory format (channels-last
     * included, as torch's {@code zeros_like}), one per state slot.
     */
    private NDArray[] newState(NDArray parameter) {
        NDArray[] slots = new NDArray[stateSlots()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = manager.zeros(parameter.getShape(), parameter.getDataType());
            if (layouts() != null && ChannelsLastFormat.isFourDimensional(parameter)) {
                layouts().matchFormat(parameter, slots[i]);
            }
        }
        return slots;
    }

    /**
     * Checks, right before a kernel launch, that a 4-D parameter, its gradient and its state lay
     * their elements out alike, and makes them so where they do not: LibTorch's CUDA multi-tensor
     * kernels throw on lists whose strides differ (a C++ exception that aborts the JVM through
     * JNA), and its CPU kernels pair elements by address. The state is converted in place; a
     * gradient in another format is replaced by a converted copy for this launch. A parameter
     * whose tensors were checked keeps its verdict while none of them changes.
     *
     * @return the gradient to pass: {@code gradient} itself, or a copy the caller closes
     */
    private NDArray alignLayouts(String id, NDArray parameter, NDArray gradient, NDArray[] state) {
        if (layouts() == null || !ChannelsLastFormat.isFourDimensional(parameter)) {
            return gradient;
        }
        long[] tensors = new long[2 + state.length];
        tensors[0] = tensorImpl(parameter);
        tensors[1] = tensorImpl(gradient);
        for (int i = 0; i < state.length; i++) {
            tensors[2 + i] = tensorImpl(state[i]);
        }
        if (Arrays.equals(checkedLayouts.get(id), tensors)) {
            return gradient;
        }
        for (NDArray slot : state) {
            layouts().matchFormat(parameter, slot);
        }
        NDArray aligned = layouts().inFormatOf(parameter, gradient);
        if (aligned == gradient) {
            checkedLayouts.put(id, tensors);
        }
        return aligned;
    }

    /** The {@code TensorImpl*} a DJL handle's {@code torch::Tensor} holds. */
    private static long tensorImpl(NDArray array) {
        return new Pointer(LibTorchAmpKernels.handle(array)).getLong(0);
    }

    /** LibTorch's memory formats, or null where this LibTorch lacks them (nothing to align). */
    private ChannelsLastFormat layouts() {
        if (layouts == null && !layoutsUnavailable) {
            try {
                layouts = new ChannelsLastFormat(LibTorchMemoryFormat.get());
            } catch (LibTorchUnavailableException e) {
                layoutsUnavailable = true;
            }
        }
        return layouts;
    }

    /**
     * Returns the manager the optimizer's state lives in.
     *
     * @return the manager, made on the first step
     */
    NDManager getManager() {
        return manager;
    }

    /**
     * Returns the per-parameter state arrays (e.g. SGD: 1, Adam: 2).
     *
     * @return the count
     */
    abstract int stateSlots();

    /** Runs before the step's launches, once per step. */
    void beforeUpdate() {}

    /**
     * Launches the kernel for one learning rate.
     *
     * @param params the parameters' handles
     * @param grads their gradients' handles
     * @param slots their state arrays
     * @param learningRate the rate
     * @param foundInf the non-finite flag, or null
     */
    abstract void update(
            List<Long> params,
            List<Long> grads,
            List<NDArray[]> slots,
            float learningRate,
            NDArray foundInf);

    /**
     * Runs after the step's launches, once per step.
     *
     * @param foundInf the non-finite flag, or null
     */
    void afterUpdate(NDArray foundInf) {}

    static List<Long> slot(List<NDArray[]> slots, int index) {
        List<Long> handles = new ArrayList<>(slots.size());
        for (NDArray[] state : slots) {
            handles.add(LibTorchAmpKernels.handle(state[index]));
        }
        return handles;
    }

    static long handleOrZero(NDArray array) {
        return array == null ? 0 : LibTorchAmpKernels.handle(array);
    }

    @Override
    public void close() {
        states.clear();
        checkedLayouts.clear();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}

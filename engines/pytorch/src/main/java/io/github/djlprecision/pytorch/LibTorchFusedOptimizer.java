package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djlprecision.spi.FusedOptimizer;
import java.util.ArrayList;
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
    private NDManager manager;
    private int updates;

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
            for (int i : group.getValue()) {
                NDArray parameter = parameters.get(i);
                params.add(LibTorchAmpKernels.handle(parameter));
                grads.add(LibTorchAmpKernels.handle(gradients.get(i)));
                slots.add(states.computeIfAbsent(parameterIds.get(i), id -> newState(parameter)));
            }
            update(params, grads, slots, group.getKey(), foundInf);
        }
        afterUpdate(foundInf);
    }

    /** Zero-filled arrays of the parameter's shape and type, one per state slot. */
    private NDArray[] newState(NDArray parameter) {
        NDArray[] slots = new NDArray[stateSlots()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = manager.zeros(parameter.getShape(), parameter.getDataType());
        }
        return slots;
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
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}

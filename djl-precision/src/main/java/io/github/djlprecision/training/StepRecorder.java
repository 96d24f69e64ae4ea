package io.github.djlprecision.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djlprecision.spi.StepOutcome;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcomes of steps whose non-finite flag and loss scale are still on the device. A step with
 * a fused optimizer does not read them itself; they are kept as small device copies and read
 * together, one device read for the flags and one for the scales of every pending step.
 */
final class StepRecorder implements AutoCloseable {

    private record Pending(long index, NDArray foundInf, NDArray scale, Boolean nonFinite) {}

    private final NDManager manager;
    private final List<Pending> pending = new ArrayList<>();
    private float lastScale;

    /**
     * @param parent a manager on the first training device
     * @param initialScale the loss scale the first step uses, or NaN without loss scaling
     */
    StepRecorder(NDManager parent, float initialScale) {
        manager = parent.newSubManager();
        manager.setName("step-outcomes");
        lastScale = initialScale;
    }

    /**
     * Records a step; the arrays are copied on the device, nothing is read.
     *
     * @param index the step's index
     * @param foundInf the step's flag, or null if its gradients were not checked
     * @param nonFinite what the step read of the flag, or null if it did not read it
     * @param scale the loss scale after the step, or null without loss scaling
     */
    void add(long index, NDArray foundInf, Boolean nonFinite, NDArray scale) {
        NDArray found = nonFinite == null && foundInf != null ? keep(foundInf) : null;
        pending.add(new Pending(index, found, scale == null ? null : keep(scale), nonFinite));
    }

    /**
     * Returns how many steps are not yet read.
     *
     * @return the count
     */
    int size() {
        return pending.size();
    }

    /**
     * Reads every pending step: one device read for the flags, one for the scales.
     *
     * @return the outcomes, oldest first
     */
    List<StepOutcome> resolve() {
        if (pending.isEmpty()) {
            return List.of();
        }
        float[] flags = read(pending.stream().map(Pending::foundInf).toList());
        float[] scales = read(pending.stream().map(Pending::scale).toList());
        List<StepOutcome> outcomes = new ArrayList<>(pending.size());
        int flag = 0;
        int scaleIndex = 0;
        for (Pending step : pending) {
            boolean nonFinite =
                    step.nonFinite() != null
                            ? step.nonFinite()
                            : step.foundInf() != null && flags[flag++] != 0f;
            float scale = step.scale() == null ? Float.NaN : scales[scaleIndex++];
            String reason = nonFinite ? reason(lastScale, scale) : null;
            outcomes.add(new StepOutcome(step.index(), !nonFinite, reason, scale));
            lastScale = scale;
        }
        for (Pending step : pending) {
            close(step.foundInf());
            close(step.scale());
        }
        pending.clear();
        return outcomes;
    }

    private static String reason(float used, float next) {
        if (Float.isNaN(used)) {
            return "inf or NaN gradients";
        }
        return "inf or NaN gradients at loss scale "
                + used
                + (Float.isNaN(next) ? "" : "; scale now " + next);
    }

    @Override
    public void close() {
        pending.clear();
        manager.close();
    }

    private static void close(NDArray array) {
        if (array != null) {
            array.close();
        }
    }

    private NDArray keep(NDArray array) {
        NDArray copy = array.duplicate();
        copy.attach(manager);
        return copy;
    }

    private static float[] read(List<NDArray> arrays) {
        List<NDArray> present = arrays.stream().filter(a -> a != null).toList();
        if (present.isEmpty()) {
            return new float[0];
        }
        try (NDArray stacked = NDArrays.concat(new NDList(present))) {
            return stacked.toFloatArray();
        }
    }
}

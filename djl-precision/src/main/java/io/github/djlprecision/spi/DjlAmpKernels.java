package io.github.djlprecision.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.GradScalerConfig;
import java.util.List;

/**
 * {@link AmpKernels} in plain DJL operations: works on every engine that can train, one or more
 * operations per array. The scale update reads the flag, the scale and the tracker to the host and
 * writes them back, and {@link #zero} copies a 0 to the device per array: the portable path, not
 * the fast one.
 */
public final class DjlAmpKernels implements AmpKernels {

    /** The one instance; it holds no state. */
    public static final DjlAmpKernels INSTANCE = new DjlAmpKernels();

    private static final NDIndex ALL = new NDIndex("...");

    private DjlAmpKernels() {}

    @Override
    public String name() {
        return "djl";
    }

    @Override
    public void unscaleAndCheck(List<NDArray> gradients, NDArray foundInf, NDArray invScale) {
        if (gradients.isEmpty()) {
            return;
        }
        NDList grads = new NDList(gradients);
        try (NDManager scope = NDManager.subManagerOf(foundInf)) {
            scope.tempAttachAll(grads);
            NDList nonFinite = new NDList(grads.size());
            for (NDArray grad : grads) {
                nonFinite.add(grad.isInfinite().logicalOr(grad.isNaN()).any());
                grad.muli(invScale.toType(grad.getDataType(), false));
            }
            NDArray found = NDArrays.stack(nonFinite).any().toType(DataType.FLOAT32, false);
            foundInf.set(ALL, foundInf.maximum(found.reshape(foundInf.getShape())));
        }
    }

    @Override
    public void updateScale(
            NDArray scale,
            NDArray growthTracker,
            NDArray foundInf,
            NDArray minScale,
            GradScalerConfig config) {
        boolean found = foundInf.getFloat() != 0f;
        float current = scale.getFloat();
        int successful = growthTracker.getInt() + 1;
        float next = current;
        int tracker = successful;
        if (found) {
            next = (float) (current * (double) config.getBackoffFactor());
            tracker = 0;
        } else if (successful == config.getGrowthInterval()) {
            float grown = (float) (current * (double) config.getGrowthFactor());
            next = Float.isFinite(grown) ? grown : current;
            tracker = 0;
        }
        scale.set(ALL, Math.max(next, minScale.getFloat()));
        growthTracker.set(ALL, tracker);
    }

    @Override
    public void zero(List<NDArray> arrays) {
        for (NDArray array : arrays) {
            array.set(ALL, 0);
        }
    }

    @Override
    public void copy(List<NDArray> sources, List<NDArray> targets) {
        for (int i = 0; i < sources.size(); i++) {
            NDArray source = sources.get(i);
            NDArray target = targets.get(i);
            NDArray moved = source.toDevice(target.getDevice(), false);
            NDArray cast = moved.toType(target.getDataType(), false);
            target.set(ALL, cast);
            if (cast != source) {
                cast.close();
            }
            if (moved != source && moved != cast) {
                moved.close();
            }
        }
    }
}

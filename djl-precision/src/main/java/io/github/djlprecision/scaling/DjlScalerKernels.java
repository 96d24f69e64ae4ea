package io.github.djlprecision.scaling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.List;

/** Loss-scaling device work in plain DJL operations: works on every engine that can train. */
public final class DjlScalerKernels implements ScalerKernels {

    private static final NDIndex ALL = new NDIndex("...");

    @Override
    public String name() {
        return "djl";
    }

    @Override
    public boolean unscaleAndCheck(List<NDArray> gradients, float invScale) {
        if (gradients.isEmpty()) {
            return false;
        }
        NDList grads = new NDList(gradients);
        try (NDManager scope = NDManager.subManagerOf(grads.head())) {
            scope.tempAttachAll(grads);
            NDList nonFinite = new NDList(grads.size());
            for (NDArray grad : grads) {
                nonFinite.add(grad.isInfinite().logicalOr(grad.isNaN()).any());
                grad.muli(invScale);
            }
            // the step's one device-to-host read
            return NDArrays.stack(nonFinite).any().getBoolean();
        }
    }

    @Override
    public void discardGradients(List<NDArray> gradients) {
        for (NDArray grad : gradients) {
            grad.set(ALL, 0);
        }
    }
}

package io.github.djlprecision.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.GradientClipping;
import java.util.List;

/** Clips gradients in place with plain DJL operations, reading nothing back to the host. */
final class GradientClipper {

    private static final NDIndex ALL = new NDIndex("...");

    private GradientClipper() {}

    static void clip(List<NDArray> gradients, GradientClipping clipping) {
        if (gradients.isEmpty()) {
            return;
        }
        NDList grads = new NDList(gradients);
        try (NDManager scope = NDManager.subManagerOf(grads.head())) {
            scope.tempAttachAll(grads);
            if (clipping.algorithm() == GradientClipping.Algorithm.VALUE) {
                for (NDArray grad : grads) {
                    grad.set(ALL, grad.clip(-clipping.value(), clipping.value()));
                }
                return;
            }
            NDList squares = new NDList(grads.size());
            for (NDArray grad : grads) {
                squares.add(grad.toType(DataType.FLOAT32, false).square().sum());
            }
            NDArray norm = NDArrays.stack(squares).sum().sqrt();
            // torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6), capped at 1
            NDArray coef = norm.add(1e-6f).pow(-1).mul(clipping.value()).minimum(1f);
            for (NDArray grad : grads) {
                grad.muli(coef.toType(grad.getDataType(), false));
            }
        }
    }
}

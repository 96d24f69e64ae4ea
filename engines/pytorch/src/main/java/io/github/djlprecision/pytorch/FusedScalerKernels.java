package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import io.github.djlprecision.scaling.GradScalerConfig;
import io.github.djlprecision.scaling.ScalerKernels;
import io.github.djlprecision.scaling.ScalerState;
import java.util.ArrayList;
import java.util.List;

/**
 * Loss-scaling device work in LibTorch's own GradScaler kernels: one fused call unscales and checks
 * every gradient, {@code _amp_update_scale_} moves the scale on, and {@code zero_} clears the
 * gradients of a skipped step.
 */
final class FusedScalerKernels implements ScalerKernels {

    private final LibTorchAmp amp;

    FusedScalerKernels(LibTorchAmp amp) {
        this.amp = amp;
    }

    @Override
    public String name() {
        return "fused";
    }

    @Override
    public boolean unscaleAndCheck(List<NDArray> gradients, float invScale) {
        if (gradients.isEmpty()) {
            return false;
        }
        NDArray first = gradients.get(0);
        try (NDManager scope = first.getManager().newSubManager(first.getDevice())) {
            NDArray foundInf = scope.zeros(new Shape(1), DataType.FLOAT32);
            NDArray inverse = scope.create(new float[] {invScale});
            List<Long> handles = new ArrayList<>(gradients.size());
            for (NDArray gradient : gradients) {
                handles.add(((PtNDArray) gradient).getHandle());
            }
            amp.nonFiniteCheckAndUnscale(handles, handle(foundInf), handle(inverse));
            // the step's one device-to-host read
            return foundInf.getFloat() != 0f;
        }
    }

    @Override
    public ScalerState updateScale(
            ScalerState state, boolean foundNonFinite, GradScalerConfig config) {
        // the found-inf flag is already on the host, so the update runs on CPU tensors
        try (NDManager scope = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray scale = scope.create(new float[] {state.scale()});
            NDArray tracker = scope.create(new int[] {state.growthTracker()});
            NDArray found = scope.create(new float[] {foundNonFinite ? 1f : 0f});
            amp.updateScale(
                    handle(scale),
                    handle(tracker),
                    handle(found),
                    config.getGrowthFactor(),
                    config.getBackoffFactor(),
                    config.getGrowthInterval());
            return new ScalerState(scale.getFloat(), tracker.getInt());
        }
    }

    @Override
    public void discardGradients(List<NDArray> gradients) {
        for (NDArray gradient : gradients) {
            amp.zero(handle(gradient));
        }
    }

    private static long handle(NDArray array) {
        return ((PtNDArray) array).getHandle();
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.DjlAmpKernels;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link AmpKernels} in LibTorch's own kernels, reached through {@link LibTorchAmp}: one launch
 * unscales and checks every gradient ({@code _amp_foreach_non_finite_check_and_unscale_}), {@code
 * _amp_update_scale_} and {@code clamp_min_} move the scale on the device, and {@code
 * _foreach_zero_} and {@code _foreach_copy_} clear and copy whole lists. Nothing is read from the
 * device and no Java data is copied to it. A LibTorch without the foreach or clamp kernels gets
 * plain DJL operations for those. Every call's arguments are checked first ({@link
 * KernelArguments}): a kernel that threw would end the JVM.
 */
final class LibTorchAmpKernels implements AmpKernels {

    private static final NDIndex ALL = new NDIndex("...");

    private final LibTorchAmp amp;

    LibTorchAmpKernels(LibTorchAmp amp) {
        this.amp = amp;
    }

    @Override
    public String name() {
        return "fused";
    }

    @Override
    public void unscaleAndCheck(List<NDArray> gradients, NDArray foundInf, NDArray invScale) {
        KernelArguments.unscaleAndCheck(gradients, foundInf, invScale);
        if (!gradients.isEmpty()) {
            amp.nonFiniteCheckAndUnscale(handles(gradients), handle(foundInf), handle(invScale));
        }
    }

    @Override
    public void updateScale(
            NDArray scale,
            NDArray growthTracker,
            NDArray foundInf,
            NDArray minScale,
            GradScalerConfig config) {
        KernelArguments.updateScale(scale, growthTracker, foundInf, minScale);
        amp.updateScale(
                handle(scale),
                handle(growthTracker),
                handle(foundInf),
                config.getGrowthFactor(),
                config.getBackoffFactor(),
                config.getGrowthInterval());
        if (amp.hasForeachKernels()) {
            amp.clampMin(handle(scale), handle(minScale));
        } else {
            scale.set(ALL, scale.maximum(minScale));
        }
    }

    @Override
    public void zero(List<NDArray> arrays) {
        KernelArguments.zero(arrays);
        if (!amp.hasForeachKernels()) {
            DjlAmpKernels.INSTANCE.zero(arrays);
        } else if (!arrays.isEmpty()) {
            amp.foreachZero(handles(arrays));
        }
    }

    @Override
    public void copy(List<NDArray> sources, List<NDArray> targets) {
        KernelArguments.copy(sources, targets);
        if (!amp.hasForeachKernels()) {
            DjlAmpKernels.INSTANCE.copy(sources, targets);
        } else if (!sources.isEmpty()) {
            amp.foreachCopy(handles(targets), handles(sources));
        }
    }

    static long handle(NDArray array) {
        return ((PtNDArray) array).getHandle();
    }

    static List<Long> handles(List<NDArray> arrays) {
        List<Long> handles = new ArrayList<>(arrays.size());
        for (NDArray array : arrays) {
            handles.add(handle(array));
        }
        return handles;
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.spi.ForwardContext;

/**
 * LibTorch's own autocast, entered and left the way {@code torch.autocast} does: the previous
 * state of the calling thread is saved, autocast is switched on with the requested type and the
 * nesting level raised; on exit the cast cache is cleared when the outermost scope closes, and the
 * previous state comes back, so an inner scope never switches autocast off early.
 */
final class NativeAutocast implements MixedPrecision.Autocast {

    private final LibTorchAmp amp;

    NativeAutocast(LibTorchAmp amp) {
        this.amp = amp;
    }

    @Override
    public ForwardContext enter(Device device, DataType computeType) {
        byte deviceType = LibTorchAmp.deviceType(device);
        byte scalarType = LibTorchAmp.scalarType(computeType);
        boolean previousEnabled = amp.isEnabled(deviceType);
        byte previousType = amp.getDtype(deviceType);
        Thread owner = Thread.currentThread();
        amp.setEnabled(deviceType, true);
        amp.setDtype(deviceType, scalarType);
        amp.incrementNesting();
        return () -> {
            checkOwner(owner);
            if (amp.decrementNesting() == 0) {
                amp.clearCache();
            }
            amp.setEnabled(deviceType, previousEnabled);
            amp.setDtype(deviceType, previousType);
        };
    }

    /**
     * Switches autocast off for the calling thread, as {@code torch.autocast(enabled=False)} does
     * inside an enabled region: the nesting level is raised too, so that the cast cache of the
     * enclosing region survives, and the previous state comes back on close.
     *
     * @param device the device the forward runs on
     * @return the scope that restores the previous state
     */
    ForwardContext disable(Device device) {
        byte deviceType = LibTorchAmp.deviceType(device);
        boolean previousEnabled = amp.isEnabled(deviceType);
        Thread owner = Thread.currentThread();
        amp.setEnabled(deviceType, false);
        amp.incrementNesting();
        return () -> {
            checkOwner(owner);
            if (amp.decrementNesting() == 0) {
                amp.clearCache();
            }
            amp.setEnabled(deviceType, previousEnabled);
        };
    }

    /**
     * Returns the type autocast computes eligible operations in on a device, on the calling thread.
     *
     * @param device the device
     * @return {@code FLOAT16} or {@code BFLOAT16}, or null when autocast is off (or set to a type
     *     this project never sets)
     */
    DataType activeType(Device device) {
        byte deviceType = LibTorchAmp.deviceType(device);
        if (!amp.isEnabled(deviceType)) {
            return null;
        }
        byte type = amp.getDtype(deviceType);
        if (type == LibTorchAmp.HALF) {
            return DataType.FLOAT16;
        }
        return type == LibTorchAmp.BFLOAT16 ? DataType.BFLOAT16 : null;
    }

    /**
     * Returns whether autocast is on for a device on the calling thread.
     *
     * @param device the device
     * @return true inside an autocast scope
     */
    boolean isEnabled(Device device) {
        return amp.isEnabled(LibTorchAmp.deviceType(device));
    }

    private static void checkOwner(Thread owner) {
        if (Thread.currentThread() != owner) {
            // autocast state is thread-local: restoring it elsewhere would corrupt that thread
            throw new IllegalStateException(
                    "An autocast scope must be closed on the thread that opened it ("
                            + owner.getName()
                            + "), not on "
                            + Thread.currentThread().getName());
        }
    }
}

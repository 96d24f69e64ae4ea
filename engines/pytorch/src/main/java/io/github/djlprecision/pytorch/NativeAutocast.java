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
            if (Thread.currentThread() != owner) {
                // autocast state is thread-local: restoring it elsewhere would corrupt that thread
                throw new IllegalStateException(
                        "An autocast scope must be closed on the thread that opened it ("
                                + owner.getName()
                                + "), not on "
                                + Thread.currentThread().getName());
            }
            if (amp.decrementNesting() == 0) {
                amp.clearCache();
            }
            amp.setEnabled(deviceType, previousEnabled);
            amp.setDtype(deviceType, previousType);
        };
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
}

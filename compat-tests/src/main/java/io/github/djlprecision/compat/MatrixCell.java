package io.github.djlprecision.compat;

import ai.djl.Device;

/**
 * One cell of the matrix: an engine, a precision variant and a device.
 *
 * @param engine the DJL engine name, e.g. {@code "PyTorch"}
 * @param variant the precision variant
 * @param device the device
 */
public record MatrixCell(String engine, PrecisionVariant variant, Device device) {

    /**
     * Returns the device's type as the expectation table names it.
     *
     * @return {@code "gpu"} or {@code "cpu"} (or the device type of another kind of device)
     */
    public String deviceType() {
        return device.isGpu() ? "gpu" : device.getDeviceType();
    }

    /**
     * Returns a name for test reports and logs.
     *
     * @return e.g. {@code "PyTorch / 16-mixed / cpu()"}
     */
    public String id() {
        return engine + " / " + variant.label() + " / " + device;
    }

    @Override
    public String toString() {
        return id();
    }
}

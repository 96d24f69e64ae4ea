package io.github.djlprecision.bench;

import ai.djl.Device;

/** The {@code --device} option of the GPU benchmark mains. */
final class BenchDevices {

    private BenchDevices() {}

    /**
     * Parses a device name.
     *
     * @param name {@code gpu} (the first GPU) or {@code cpu}
     * @return the device
     * @throws IllegalArgumentException for any other name
     */
    static Device parse(String name) {
        return switch (name) {
            case "gpu" -> Device.gpu();
            case "cpu" -> Device.cpu();
            default ->
                    throw new IllegalArgumentException(
                            "Unknown device '" + name + "'; accepted: gpu, cpu");
        };
    }
}

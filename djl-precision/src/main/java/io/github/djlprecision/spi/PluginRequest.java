package io.github.djlprecision.spi;

import ai.djl.Device;
import io.github.djlprecision.PrecisionConfig;

/**
 * What a plugin is asked to build for.
 *
 * @param engineName the DJL engine name, e.g. {@code "PyTorch"}
 * @param device the device the model computes on
 * @param config the user's precision settings
 * @param purpose whether the plugin will train or only run inference
 */
public record PluginRequest(
        String engineName, Device device, PrecisionConfig config, Purpose purpose) {

    /** What the plugin will be used for. */
    public enum Purpose {
        /** Forward, backward and optimizer steps. */
        TRAINING,
        /** Forward passes only. */
        INFERENCE
    }
}

package io.github.djlprecision.spi;

import ai.djl.Device;
import ai.djl.Model;
import io.github.djlprecision.PrecisionConfig;

/**
 * What a plugin is asked to build for.
 *
 * @param engineName the DJL engine name, e.g. {@code "PyTorch"}
 * @param device the device the model computes on
 * @param config the user's precision settings
 * @param purpose whether the plugin will train or only run inference
 * @param model the model the plugin will serve, so that it can check the model up front; null
 *     when there is none yet
 */
public record PluginRequest(
        String engineName, Device device, PrecisionConfig config, Purpose purpose, Model model) {

    /**
     * A request without a model.
     *
     * @param engineName the DJL engine name
     * @param device the device
     * @param config the precision settings
     * @param purpose training or inference
     */
    public PluginRequest(String engineName, Device device, PrecisionConfig config, Purpose purpose) {
        this(engineName, device, config, purpose, null);
    }

    /** What the plugin will be used for. */
    public enum Purpose {
        /** Forward, backward and optimizer steps. */
        TRAINING,
        /** Forward passes only. */
        INFERENCE
    }
}

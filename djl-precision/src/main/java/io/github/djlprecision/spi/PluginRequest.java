package io.github.djlprecision.spi;

import ai.djl.Device;
import ai.djl.Model;
import io.github.djlprecision.PrecisionConfig;
import java.util.List;

/**
 * What a plugin is asked to build for.
 *
 * @param engineName the DJL engine name, e.g. {@code "PyTorch"}
 * @param devices the devices the model computes on, the first holding the model's own
 *     parameters (DJL's multi-device training keeps a copy on every other one)
 * @param config the user's precision settings
 * @param purpose whether the plugin will train or only run inference
 * @param model the model the plugin will serve, so that it can check the model up front; null
 *     when there is none yet
 */
public record PluginRequest(
        String engineName,
        List<Device> devices,
        PrecisionConfig config,
        Purpose purpose,
        Model model) {

    /**
     * Validates the request.
     *
     * @param engineName the engine name
     * @param devices at least one device
     * @param config the settings
     * @param purpose training or inference
     * @param model the model, or null
     * @throws IllegalArgumentException if there is no device
     */
    public PluginRequest {
        if (devices == null || devices.isEmpty()) {
            throw new IllegalArgumentException("A plugin request needs at least one device.");
        }
        devices = List.copyOf(devices);
    }

    /**
     * A request for one device.
     *
     * @param engineName the DJL engine name
     * @param device the device
     * @param config the precision settings
     * @param purpose training or inference
     * @param model the model, or null
     */
    public PluginRequest(
            String engineName, Device device, PrecisionConfig config, Purpose purpose, Model model) {
        this(engineName, List.of(device), config, purpose, model);
    }

    /**
     * A request for one device, without a model.
     *
     * @param engineName the DJL engine name
     * @param device the device
     * @param config the precision settings
     * @param purpose training or inference
     */
    public PluginRequest(String engineName, Device device, PrecisionConfig config, Purpose purpose) {
        this(engineName, List.of(device), config, purpose, null);
    }

    /**
     * Returns the first device, which holds the model's own parameters and the loss scale.
     *
     * @return the first device
     */
    public Device device() {
        return devices.get(0);
    }

    /**
     * Returns the same request for another precision setting, e.g. for a fallback precision.
     *
     * @param other the settings
     * @return the request
     */
    public PluginRequest withConfig(PrecisionConfig other) {
        return new PluginRequest(engineName, devices, other, purpose, model);
    }

    /** What the plugin will be used for. */
    public enum Purpose {
        /** Forward, backward and optimizer steps. */
        TRAINING,
        /** Forward passes only. */
        INFERENCE
    }
}

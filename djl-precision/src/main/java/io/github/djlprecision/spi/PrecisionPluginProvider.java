package io.github.djlprecision.spi;

import io.github.djlprecision.Precision;
import java.util.Set;

/**
 * Makes {@link PrecisionPlugin}s; found through {@link java.util.ServiceLoader}. A jar registers a
 * provider by naming its class in {@code
 * META-INF/services/io.github.djlprecision.spi.PrecisionPluginProvider}; the built-in providers
 * are registered the same way.
 */
public interface PrecisionPluginProvider {

    /**
     * Returns the provider's name, which users may pass to {@code PrecisionConfig.optPlugin}.
     *
     * @return a unique name
     */
    String getName();

    /**
     * Returns whether this provider serves a DJL engine.
     *
     * @param engineName the engine's name, e.g. {@code "PyTorch"}
     * @return true if it can build plugins for that engine
     */
    boolean supportsEngine(String engineName);

    /**
     * Returns the precisions this provider can build for an engine it supports.
     *
     * @return the precisions
     */
    Set<Precision> getPrecisions();

    /**
     * Among providers that serve the same engine and precision, the highest priority wins; the
     * built-in providers use 0 (engine-neutral ones below 0), so a user's provider above 0
     * replaces them.
     *
     * @return the priority
     */
    default int getPriority() {
        return 0;
    }

    /**
     * Builds a plugin, checking first that it can run what is asked.
     *
     * @param request the engine, device, settings and purpose
     * @return the plugin
     * @throws io.github.djlprecision.UnsupportedPrecisionException with every problem found
     */
    PrecisionPlugin create(PluginRequest request);
}

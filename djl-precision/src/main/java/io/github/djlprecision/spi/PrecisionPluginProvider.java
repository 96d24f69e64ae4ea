package io.github.djlprecision.spi;

import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionContributor;
import java.util.Set;

/**
 * Makes {@link PrecisionPlugin}s; found through {@link java.util.ServiceLoader}. A jar registers a
 * provider by naming its class in {@code
 * META-INF/services/io.github.djlprecision.spi.PrecisionPluginProvider}; the built-in providers
 * are registered the same way. A provider that serves a precision of its own (one built with
 * {@code Precision.builder}) also names its class in {@code
 * META-INF/services/io.github.djlprecision.PrecisionContributor}, so that the precision's value
 * parses.
 */
public interface PrecisionPluginProvider extends PrecisionContributor {

    /**
     * Returns the provider's name, which users may pass to {@code
     * PrecisionConfig.Builder.optPluginName}.
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
    @Override
    Set<Precision> getPrecisions();

    /**
     * Returns the provider's rank among providers that serve the same engine and precision: the
     * lowest rank wins, as with DJL's {@code EngineProvider.getEngineRank()}. The built-in
     * engine providers rank 0 and the engine-neutral {@code 32-true} provider 100, so a provider
     * ranked below 0 replaces the built-ins and one ranked above 100 runs only when named.
     *
     * @return the rank
     */
    default int getRank() {
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

package io.github.djlprecision.plugins;

import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.Set;

/**
 * Serves {@code 32-true} on every engine, ranked after any engine's own provider, so an engine
 * that cannot train can still refuse it with its own reason.
 */
public final class SinglePrecisionProvider implements PrecisionPluginProvider {

    @Override
    public String getName() {
        return "fp32";
    }

    @Override
    public boolean supportsEngine(String engineName) {
        return true;
    }

    @Override
    public Set<Precision> getPrecisions() {
        return Set.of(Precision.FLOAT_TRUE);
    }

    @Override
    public int getRank() {
        return 100;
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        return new SinglePrecision();
    }
}

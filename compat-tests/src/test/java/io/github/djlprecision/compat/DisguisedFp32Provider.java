package io.github.djlprecision.compat;

import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;

import java.util.Set;

/**
 * A broken provider for tests: it claims whatever precision it is asked for and runs plain fp32. It
 * serves no precision by itself, so only a config that names it gets it.
 */
public final class DisguisedFp32Provider implements PrecisionPluginProvider {

    /** The provider's name. */
    public static final String NAME = "test-fp32-in-disguise";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public boolean supportsEngine(String engineName) {
        return true;
    }

    @Override
    public Set<Precision> getPrecisions() {
        return Set.of();
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        Precision claimed = request.config().getPrecision();
        return new PrecisionPlugin() {
            @Override
            public Precision getPrecision() {
                return claimed;
            }

            @Override
            public String getPath() {
                return "fp32 claiming " + claimed;
            }
        };
    }
}

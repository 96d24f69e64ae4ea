package io.github.djlprecision.pytorch;

import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.Set;

/**
 * A test provider for a path that unscales inside its optimizer and so cannot clip; chosen only
 * by name ({@code optPluginName("test-no-unscale")}), never by engine.
 */
public final class NoUnscaleProvider implements PrecisionPluginProvider {

    @Override
    public String getName() {
        return "test-no-unscale";
    }

    @Override
    public boolean supportsEngine(String engineName) {
        return false;
    }

    @Override
    public Set<Precision> getPrecisions() {
        return Set.of(Precision.HALF_MIXED);
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        return new PrecisionPlugin() {
            @Override
            public Precision getPrecision() {
                return Precision.HALF_MIXED;
            }

            @Override
            public String getPath() {
                return "test-no-unscale";
            }

            @Override
            public boolean supportsGradientClipping() {
                return false;
            }
        };
    }
}

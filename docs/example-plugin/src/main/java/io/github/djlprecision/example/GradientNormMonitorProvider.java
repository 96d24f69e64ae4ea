package io.github.djlprecision.example;

import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.Set;

/**
 * Offers {@link GradientNormMonitorPlugin} under the name {@code gradient-norm-monitor}. It ranks
 * after the built-in fp32 provider (100), so it runs only when asked for by name.
 */
public final class GradientNormMonitorProvider implements PrecisionPluginProvider {

    /** The name to pass to {@code PrecisionConfig.Builder.optPluginName}. */
    public static final String NAME = "gradient-norm-monitor";

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
        return Set.of(Precision.FLOAT_TRUE);
    }

    @Override
    public int getRank() {
        return 200;
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        return new GradientNormMonitorPlugin();
    }
}

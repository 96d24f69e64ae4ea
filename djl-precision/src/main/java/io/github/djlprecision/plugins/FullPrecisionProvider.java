package io.github.djlprecision.plugins;

import io.github.djlprecision.Precision;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.List;
import java.util.Set;

/**
 * Serves {@code 32-true} on every engine, below any engine's own provider, so an engine that
 * cannot train can still refuse it with its own reason.
 */
public final class FullPrecisionProvider implements PrecisionPluginProvider {

    /** DJL engines whose Trainer, GradientCollector and optimizers work; the others throw. */
    private static final List<String> TRAINABLE_ENGINES = List.of("PyTorch", "MXNet");

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
    public int getPriority() {
        return -100;
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        if (request.purpose() == PluginRequest.Purpose.TRAINING
                && !TRAINABLE_ENGINES.contains(request.engineName())) {
            throw new UnsupportedPrecisionException(
                    "The "
                            + request.engineName()
                            + " engine cannot train in DJL (only "
                            + String.join(" and ", TRAINABLE_ENGINES)
                            + " can): train with PyTorch, save the model, and run inference on "
                            + request.engineName()
                            + ".");
        }
        return new FullPrecisionPlugin();
    }
}

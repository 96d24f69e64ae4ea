package io.github.djlprecision.plugins;

import ai.djl.Model;
import io.github.djlprecision.Precision;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.WeightConversion;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.Set;

/**
 * Serves {@code 32-true} on every engine, ranked after any engine's own provider, so an engine that
 * cannot train can still refuse it with its own reason. A model whose weights were converted to 16 bits
 * for inference is refused: its fp32 weights are gone, and fp32 inputs would meet 16-bit weights in
 * the engine.
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

    /**
     * {@inheritDoc}
     *
     * @throws UnsupportedPrecisionException if the model says it holds weights converted for
     *     inference (model property {@link WeightConversion#PROPERTY})
     */
    @Override
    public PrecisionPlugin create(PluginRequest request) {
        Model model = request.model();
        String converted = model == null ? null : model.getProperty(WeightConversion.PROPERTY);
        if (converted != null) {
            throw new UnsupportedPrecisionException(
                    "Model '"
                            + model.getName()
                            + "' holds "
                            + converted
                            + " weights converted for inference (model property "
                            + WeightConversion.PROPERTY
                            + "="
                            + converted
                            + "); 32-true would feed them fp32 inputs, and the fp32 weights they"
                            + " came from are gone. Run it in '16-true' or '16-mixed', or load the"
                            + " fp32 model it was converted from.");
        }
        return new SinglePrecision();
    }
}

package io.github.djlprecision.tensorflow;

import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.EnumSet;
import java.util.Set;

/**
 * Serves every precision on DJL's TensorFlow engine, so that TensorFlow's own limits, not a
 * generic plugin, answer each request: inference builds a {@link TensorFlowPrecisionPlugin},
 * training is refused for every precision because DJL's TensorFlow engine is inference-only.
 */
public final class TensorFlowPrecisionProvider implements PrecisionPluginProvider {

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return "tensorflow";
    }

    /** {@inheritDoc} */
    @Override
    public boolean supportsEngine(String engineName) {
        return TensorFlowDevices.ENGINE_NAME.equals(engineName);
    }

    /**
     * Returns every precision: unsupported ones are refused by {@link #create} with TensorFlow's
     * reason rather than left to the engine-neutral {@code 32-true} provider.
     *
     * @return all precisions
     */
    @Override
    public Set<Precision> getPrecisions() {
        return EnumSet.allOf(Precision.class);
    }

    /**
     * Returns 0, above the engine-neutral providers (below 0), so this provider answers for
     * TensorFlow.
     *
     * @return 0
     */
    @Override
    public int getPriority() {
        return 0;
    }

    /**
     * Builds the inference plugin, or refuses training before any work starts.
     *
     * @param request the engine, device, settings and purpose
     * @return a {@link TensorFlowPrecisionPlugin}
     * @throws UnsupportedPrecisionException for training, for an Apex level, for a declined native
     *     path, and for what {@link TensorFlowPrecisionPlugin.Builder#build()} refuses
     */
    @Override
    public PrecisionPlugin create(PluginRequest request) {
        PrecisionConfig config = request.config();
        Precision precision = config.getPrecision();
        if (request.purpose() == PluginRequest.Purpose.TRAINING) {
            throw new UnsupportedPrecisionException(
                    "Cannot train in '"
                            + precision
                            + "' on the TensorFlow engine: DJL's TensorFlow engine is"
                            + " inference-only (TfModel.newTrainer, setBlock and"
                            + " newGradientCollector throw UnsupportedOperationException)."
                            + " Train with the PyTorch engine, or run this model for inference"
                            + " with TensorFlowPrecisionPlugin.");
        }
        if (config.getAmpLevel().isPresent()) {
            throw new UnsupportedPrecisionException(
                    "amp_level "
                            + config.getAmpLevel().get()
                            + " is an Apex (PyTorch) recipe; TensorFlow has none. Drop amp_level.");
        }
        if (precision.isMixed() && !config.isNativeAutocast()) {
            throw new UnsupportedPrecisionException(
                    "Precision '"
                            + precision
                            + "' on TensorFlow has only TensorFlow's own graph rewrite, which"
                            + " optNativeAutocast(false) declines. Allow it, or use '32-true'.");
        }
        return TensorFlowPrecisionPlugin.builder()
                .optPrecision(precision)
                .optDevice(request.device())
                .build();
    }
}

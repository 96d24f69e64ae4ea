package io.github.djlprecision.tensorflow;

import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.Set;

/**
 * Answers every precision on DJL's TensorFlow engine, so that TensorFlow's own reasons, not the
 * engine-neutral {@code 32-true} provider, answer each request, and refuses them all: training
 * because DJL's TensorFlow engine is inference-only, inference because TensorFlow takes its 16 bits
 * from the options the model is loaded with ({@link TensorFlowLoadOptions}), not from plugin hooks.
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
     * Returns every precision Lightning names: unsupported ones are refused by {@link #create}
     * with TensorFlow's reason rather than left to the engine-neutral {@code 32-true} provider.
     *
     * @return Lightning's precisions
     */
    @Override
    public Set<Precision> getPrecisions() {
        return Set.of(
                Precision.DOUBLE_TRUE,
                Precision.FLOAT_TRUE,
                Precision.HALF_MIXED,
                Precision.BF16_MIXED,
                Precision.HALF_TRUE,
                Precision.BF16_TRUE);
    }

    /**
     * Refuses every request with TensorFlow's reason, before any work starts: training because
     * DJL's TensorFlow engine cannot train, a precision TensorFlow cannot run with the reason
     * {@link TensorFlowLoadOptions} gives, and every other inference request because its 16 bits
     * come from the options the model is loaded with, not from plugin hooks.
     *
     * @param request the engine, device, settings and purpose
     * @return never
     * @throws UnsupportedPrecisionException always, naming what to use
     */
    @Override
    public PrecisionPlugin create(PluginRequest request) {
        Precision precision = request.config().getPrecision();
        if (request.purpose() == PluginRequest.Purpose.TRAINING) {
            throw new UnsupportedPrecisionException(
                    "Cannot train in '"
                            + precision
                            + "' on the TensorFlow engine: DJL's TensorFlow engine is"
                            + " inference-only (TfModel.newTrainer, setBlock and"
                            + " newGradientCollector throw UnsupportedOperationException)."
                            + " Train with the PyTorch engine, or run this model for inference"
                            + " with TensorFlowLoadOptions.");
        }
        // a precision TensorFlow cannot run is refused with TensorFlow's own reason
        TensorFlowLoadOptions.of(request.config(), request.device());
        throw new UnsupportedPrecisionException(
                "On the TensorFlow engine '"
                        + precision
                        + "' is chosen when the model loads, not by wrapping it: pass"
                        + " TensorFlowLoadOptions.builder(PrecisionConfig.of(\""
                        + precision
                        + "\")).build().getLoadOptions() to Criteria.optOptions, then call its"
                        + " verify(model).");
    }
}

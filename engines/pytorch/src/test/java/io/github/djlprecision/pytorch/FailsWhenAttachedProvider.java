package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.Shape;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PluginContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.Set;

/**
 * A test provider whose plugin fails once the trainer exists: it allocates in the trainer's
 * manager, then throws from {@code onTrainerCreated}, so that a refusal from inside the trainer's
 * constructor can be checked for leaks. Chosen only by name ({@code
 * optPluginName("test-fails-when-attached")}).
 */
public final class FailsWhenAttachedProvider implements PrecisionPluginProvider {

    @Override
    public String getName() {
        return "test-fails-when-attached";
    }

    @Override
    public boolean supportsEngine(String engineName) {
        return false;
    }

    @Override
    public Set<Precision> getPrecisions() {
        return Set.of(Precision.FLOAT_TRUE);
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        return new PrecisionPlugin() {
            @Override
            public Precision getPrecision() {
                return Precision.FLOAT_TRUE;
            }

            @Override
            public String getPath() {
                return "test-fails-when-attached";
            }

            @Override
            public void onTrainerCreated(PluginContext context) {
                context.getManager().newSubManager().zeros(new Shape(4));
                throw new IllegalStateException("failed on purpose once attached");
            }
        };
    }
}

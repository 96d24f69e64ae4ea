package io.github.djlprecision.compat;

import ai.djl.Device;

import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.plugins.SinglePrecision;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import io.github.djlprecision.spi.PrecisionPlugins;

import java.util.Set;

/**
 * A broken provider for tests: real bf16 autocast, but it forgets to cast the outputs back, so bf16
 * tensors (UNKNOWN to DJL) would reach the loss, where DJL's softmax aborts the JVM. Only a config
 * that names it gets it.
 */
public final class LeakyBf16Provider implements PrecisionPluginProvider {

    /** The provider's name. */
    public static final String NAME = "test-bf16-leaks-to-loss";

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
        if (request.config().getPrecision() != Precision.BF16_MIXED) {
            return new SinglePrecision();
        }
        PrecisionConfig real =
                PrecisionConfig.builder()
                        .optPrecision("bf16-mixed")
                        .optPluginName("pytorch-native")
                        .build();
        PrecisionPlugin autocast =
                PrecisionPlugins.create(
                        new PluginRequest(
                                request.engineName(),
                                request.device(),
                                real,
                                request.purpose(),
                                request.model()));
        return new PrecisionPlugin() {
            @Override
            public Precision getPrecision() {
                return Precision.BF16_MIXED;
            }

            @Override
            public String getPath() {
                return "bf16 autocast, outputs left in bf16";
            }

            @Override
            public ForwardContext forwardContext(Device device) {
                return autocast.forwardContext(device);
            }

            @Override
            public void close() {
                autocast.close();
            }
        };
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.DjlAmpKernels;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.Set;

/**
 * A precision the core does not know, added the way a jar with a new recipe adds one: this one
 * class defines the precision, contributes it (named in {@code
 * META-INF/services/io.github.djlprecision.PrecisionContributor}) and builds its plugin (named in
 * {@code META-INF/services/io.github.djlprecision.spi.PrecisionPluginProvider}). The recipe is
 * fp16 autocast with plain DJL loss-scaling kernels, under a name of its own.
 */
public final class ContributedPrecisionProvider implements PrecisionPluginProvider {

    /** fp32 parameters, fp16 compute, loss scaling; declared faster than {@code bf16-mixed}. */
    public static final Precision TEST_MIXED =
            Precision.builder("16-test-mixed")
                    .optAliases("16tm")
                    .setComputeType(DataType.FLOAT16)
                    .optParameterType(DataType.FLOAT32)
                    .optLossScaling(true)
                    .optFasterThan("bf16-mixed")
                    .build();

    @Override
    public String getName() {
        return "test-contributed";
    }

    @Override
    public boolean supportsEngine(String engineName) {
        return PyTorchPrecisionProvider.ENGINE.equals(engineName);
    }

    @Override
    public Set<Precision> getPrecisions() {
        return Set.of(TEST_MIXED);
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        DynamicLossScaler scaler =
                new DynamicLossScaler(request.config().getGradScaler(), DjlAmpKernels.INSTANCE);
        return new MixedPrecision(
                TEST_MIXED,
                new NativeAutocast(LibTorchAmp.get()),
                scaler,
                DjlAmpKernels.INSTANCE,
                "test-autocast(float16, loss scaling)");
    }
}

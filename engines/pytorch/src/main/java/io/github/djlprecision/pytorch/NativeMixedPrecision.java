package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.ForwardContext;

/**
 * {@code 16-mixed} and {@code bf16-mixed} on LibTorch's own autocast. Blocks that cannot run under
 * the autocast type through DJL run as fp32 islands ({@link Fp32Islands}), which {@link #getPath()}
 * names.
 */
final class NativeMixedPrecision extends MixedPrecision {

    private final String pathHead;
    private final String pathTail;
    private final Fp32Islands islands;

    /**
     * Creates the plugin.
     *
     * @param precision {@code 16-mixed} or {@code bf16-mixed}
     * @param autocast LibTorch's autocast
     * @param scaler the loss scaler, or null
     * @param kernels the device kernels
     * @param pathHead the path without its closing parenthesis, e.g. {@code "native-autocast(cpu,
     *     bfloat16"}
     * @param pathTail what follows the closing parenthesis, e.g. a note on the weights
     * @param islands the model's fp32 islands under this precision
     */
    NativeMixedPrecision(
            Precision precision,
            NativeAutocast autocast,
            DynamicLossScaler scaler,
            AmpKernels kernels,
            String pathHead,
            String pathTail,
            Fp32Islands islands) {
        super(precision, autocast, scaler, kernels, pathHead + ")" + pathTail);
        this.pathHead = pathHead;
        this.pathTail = pathTail;
        this.islands = islands;
    }

    /**
     * Names the blocks that run in fp32, e.g. {@code "native-autocast(cpu, bfloat16; fp32 islands:
     * 01LambdaBlock)"}.
     */
    @Override
    public String getPath() {
        String fp32 = islands.describe();
        return fp32 == null ? super.getPath() : pathHead + "; fp32 islands: " + fp32 + ")" + pathTail;
    }

    @Override
    public void convertModule(Model model) {
        islands.place(model.getBlock());
    }

    @Override
    public ForwardContext forwardContext(Device device) {
        return islands.enter(device, () -> super.forwardContext(device));
    }

    @Override
    public void close() {
        islands.close();
        super.close();
    }
}

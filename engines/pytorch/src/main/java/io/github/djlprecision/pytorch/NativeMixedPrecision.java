package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.FusedOptimizer;
import java.util.Optional;

/**
 * {@code 16-mixed} and {@code bf16-mixed} on LibTorch's own autocast. Blocks that cannot run under
 * the autocast type through DJL run as fp32 islands ({@link Fp32Islands}), which {@link #getPath()}
 * names.
 */
final class NativeMixedPrecision extends MixedPrecision {

    private final String pathHead;
    private final String pathTail;
    private final Fp32Islands islands;
    private final FusedOptimizers fusion;

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
     * @param fusion chooses a fused optimizer
     */
    NativeMixedPrecision(
            Precision precision,
            NativeAutocast autocast,
            DynamicLossScaler scaler,
            AmpKernels kernels,
            String pathHead,
            String pathTail,
            Fp32Islands islands,
            FusedOptimizers fusion) {
        super(precision, autocast, scaler, kernels, pathHead + ")" + pathTail);
        this.pathHead = pathHead;
        this.pathTail = pathTail;
        this.islands = islands;
        this.fusion = fusion;
    }

    @Override
    public Optional<FusedOptimizer> fuseOptimizer(Optimizer optimizer) {
        return fusion.fuse(optimizer);
    }

    /**
     * Names the blocks that run in fp32, e.g. {@code "native-autocast(cpu, bfloat16; fp32 islands:
     * 01LambdaBlock)"}.
     */
    @Override
    public String getPath() {
        String fp32 = islands.describe();
        return pathHead
                + (fp32 == null ? "" : "; fp32 islands: " + fp32)
                + fusion.describe()
                + ")"
                + pathTail
                + LibTorchHostGuard.pathNote();
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

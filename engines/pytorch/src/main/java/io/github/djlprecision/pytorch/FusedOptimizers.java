package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.FusedOptimizer;
import java.util.Optional;

/**
 * Chooses LibTorch's fused kernel for a DJL optimizer, following {@link OptimizerFusion}: {@code
 * AUTO} fuses only where the result is DJL's own (SGD with a fixed learning rate), {@code ALWAYS}
 * fuses SGD, Adam and AdamW or refuses, {@code NEVER} fuses nothing.
 */
final class FusedOptimizers {

    private final OptimizerFusion mode;
    private final LibTorchAmp amp;
    private final DataType parameterType;
    private final Device device;
    private String name;

    /**
     * @param mode the user's setting
     * @param amp LibTorch's bridge, or null when it is unavailable (nothing is fused then)
     * @param parameterType the type of the parameters the optimizer updates
     * @param device the device they are on: CUDA's kernels take fp16 parameters, the CPU's not
     */
    FusedOptimizers(
            OptimizerFusion mode, LibTorchAmp amp, DataType parameterType, Device device) {
        this.mode = mode;
        this.amp = amp;
        this.parameterType = parameterType;
        this.device = device;
    }

    /**
     * Returns the fused optimizer for the user's optimizer, if the setting allows one.
     *
     * @param optimizer the user's optimizer
     * @return the fused optimizer, or empty to run the user's
     * @throws UnsupportedPrecisionException for {@link OptimizerFusion#ALWAYS} and an optimizer
     *     without a fused kernel, naming the ones that have one
     */
    Optional<FusedOptimizer> fuse(Optimizer optimizer) {
        if (mode == OptimizerFusion.NEVER) {
            return Optional.empty();
        }
        if (amp == null || !amp.hasFusedOptimizers()) {
            return refuse("this LibTorch has no fused optimizer kernels.");
        }
        if (parameterType == DataType.FLOAT16 && !device.isGpu()) {
            // seen: LibTorch 2.7.1's vectorised CPU _fused_sgd_ leaves fp16 parameters unchanged;
            // the CUDA kernels compute fp16 parameters in fp32 (torch's SGD(fused=True) on .half())
            return refuse(
                    "the parameters are float16 on the CPU, and LibTorch's CPU fused kernels are"
                            + " not trusted on them (2.7.1's CPU fused SGD leaves float16"
                            + " parameters unchanged); on CUDA, and with fp32 and fp64 parameters"
                            + " (and Apex O2's fp32 masters), they fuse.");
        }
        DjlOptimizerSettings settings;
        try {
            settings = DjlOptimizerSettings.of(optimizer);
        } catch (IllegalStateException e) {
            return refuse(e.getMessage());
        }
        if (settings == null) {
            return refuse(
                    optimizer.getClass().getSimpleName()
                            + " has no fused kernel; SGD, Adam and AdamW have.");
        }
        if (settings.rescaleGrad() != 1f || settings.clipGrad() >= 0f) {
            return refuse(
                    "the optimizer's rescaleGrad/clipGrad have no fused equivalent; use"
                            + " PrecisionConfig.Builder.optGradientClipping instead.");
        }
        if (mode == OptimizerFusion.AUTO
                && (settings.kind() != DjlOptimizerSettings.Kind.SGD
                        || !settings.fixedLearningRate())) {
            // elsewhere torch's formula is not DJL's: fuse only when asked to
            return Optional.empty();
        }
        FusedOptimizer fused =
                settings.kind() == DjlOptimizerSettings.Kind.SGD
                        ? new FusedSgd(amp, settings)
                        : new FusedAdam(amp, settings);
        name = fused.getName();
        return Optional.of(fused);
    }

    /**
     * Returns what {@link #fuse} chose, for a plugin's path.
     *
     * @return e.g. {@code "; optimizer: fused-sgd"}, or empty
     */
    String describe() {
        return name == null ? "" : "; optimizer: " + name;
    }

    private Optional<FusedOptimizer> refuse(String why) {
        if (mode == OptimizerFusion.ALWAYS) {
            throw new UnsupportedPrecisionException(
                    "OptimizerFusion.ALWAYS cannot fuse this optimizer: "
                            + why
                            + " Use OptimizerFusion.AUTO or NEVER to run it through DJL.");
        }
        return Optional.empty();
    }
}

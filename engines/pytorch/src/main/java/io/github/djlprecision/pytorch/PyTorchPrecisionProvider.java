package io.github.djlprecision.pytorch;

import ai.djl.Device;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.scaling.DjlScalerKernels;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.scaling.ScalerKernels;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The PyTorch engine's precisions: LibTorch's native autocast and GradScaler kernels. */
public final class PyTorchPrecisionProvider implements PrecisionPluginProvider {

    /** The DJL engine name this provider serves. */
    public static final String ENGINE = "PyTorch";

    @Override
    public String getName() {
        return "pytorch-native";
    }

    @Override
    public boolean supportsEngine(String engineName) {
        return ENGINE.equals(engineName);
    }

    @Override
    public Set<Precision> getPrecisions() {
        return Set.of(Precision.HALF_MIXED, Precision.BF16_MIXED);
    }

    @Override
    public PrecisionPlugin create(PluginRequest request) {
        PrecisionConfig config = request.config();
        Precision precision = config.getPrecision();
        Device device = request.device();
        List<String> problems = new ArrayList<>();
        if (!device.isGpu() && !Device.Type.CPU.equals(device.getDeviceType())) {
            problems.add(
                    precision + " on PyTorch runs on cpu or gpu devices, not " + device + ".");
        }
        config.getAmpLevel()
                .ifPresent(
                        level ->
                                problems.add(
                                        "amp_level "
                                                + level
                                                + " is not yet supported on PyTorch; use"
                                                + " precision '16-mixed' without amp_level."));
        if (!config.isNativeAutocast()) {
            problems.add(
                    precision
                            + " without native autocast is not yet supported on PyTorch (the"
                            + " Apex-style fallback is not installed).");
        }
        LibTorchAmp amp = null;
        try {
            amp = LibTorchAmp.get();
        } catch (LibTorchUnavailableException e) {
            problems.add("LibTorch autocast is unavailable: " + e.getMessage());
        }
        if (precision.isBfloat16() && request.model() != null) {
            problems.addAll(Bf16BlockGuard.unsafeBlocks(request.model().getBlock()));
        }
        if (!problems.isEmpty()) {
            throw new UnsupportedPrecisionException(problems);
        }
        DynamicLossScaler scaler = null;
        String scaling = "";
        if (precision.usesLossScaling()) {
            ScalerKernels kernels =
                    config.getGradScaler().isFusedKernels()
                            ? new FusedScalerKernels(amp)
                            : new DjlScalerKernels();
            scaler = new DynamicLossScaler(config.getGradScaler(), kernels);
            scaling = ", loss scaling: " + kernels.name();
        }
        String path =
                "native-autocast("
                        + (device.isGpu() ? "cuda" : "cpu")
                        + ", "
                        + precision.computeType().name().toLowerCase(Locale.ROOT)
                        + scaling
                        + ")";
        return new PyTorchMixedPrecisionPlugin(precision, new NativeAutocast(amp), scaler, path);
    }
}

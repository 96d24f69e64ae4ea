package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.cuda.CudaUtils;
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
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The PyTorch engine's precisions: LibTorch's native autocast and GradScaler kernels. */
public final class PyTorchPrecisionProvider implements PrecisionPluginProvider {

    /** The DJL engine name this provider serves. */
    public static final String ENGINE = "PyTorch";

    private static final Logger logger = LoggerFactory.getLogger(PyTorchPrecisionProvider.class);

    private final IntFunction<String> computeCapability;

    /** Creates the provider; {@link java.util.ServiceLoader} uses this constructor. */
    public PyTorchPrecisionProvider() {
        this(CudaUtils::getComputeCapability);
    }

    /**
     * Creates the provider with another source of CUDA compute capabilities, e.g. to check a GPU
     * setup on a machine without one.
     *
     * @param computeCapability maps a CUDA device id to its capability as DJL's {@link
     *     CudaUtils#getComputeCapability(int)} spells it, e.g. {@code "86"} for 8.6
     */
    PyTorchPrecisionProvider(IntFunction<String> computeCapability) {
        this.computeCapability = computeCapability;
    }

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

    /**
     * bf16 needs Ampere (8.0) or newer; fp16 runs everywhere but gains from tensor cores only
     * from Volta (7.0) on, which is worth a warning, not a refusal (it still halves activation
     * memory).
     */
    private void checkComputeCapability(Precision precision, Device device, List<String> problems) {
        int capability;
        try {
            capability = Integer.parseInt(computeCapability.apply(device.getDeviceId()));
        } catch (RuntimeException e) {
            problems.add(
                    "Cannot read the CUDA compute capability of "
                            + device
                            + " ("
                            + e.getMessage()
                            + "), so "
                            + precision
                            + " cannot be checked; is the CUDA driver installed?");
            return;
        }
        String version = capability / 10 + "." + capability % 10;
        if (precision.isBfloat16() && capability < 80) {
            problems.add(
                    precision
                            + " needs CUDA compute capability 8.0 (Ampere) or newer; "
                            + device
                            + " has "
                            + version
                            + ". Use '16-mixed', or '32-true'.");
        } else if (precision.computeType() == DataType.FLOAT16
                && capability < 70) {
            logger.warn(
                    "{} has compute capability {}, below 7.0: no tensor cores, so {} saves"
                            + " memory but will not be faster than 32-true.",
                    device,
                    version,
                    precision);
        }
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
        if (device.isGpu()) {
            checkComputeCapability(precision, device, problems);
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

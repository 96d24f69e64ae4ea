package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.cuda.CudaUtils;
import io.github.djlprecision.AmpLevel;
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

/**
 * The PyTorch engine's precisions: LibTorch's native autocast and GradScaler kernels for the mixed
 * modes, parameters created in the type for the true modes, and NVIDIA Apex's O0-O3 levels for
 * {@code 16-mixed}. When native autocast cannot be used (LibTorch lacks it, or the user declined it
 * with {@code optNativeAutocast(false)}), {@code 16-mixed} falls back to Apex O2 and says so in its
 * path.
 */
public final class PyTorchPrecisionProvider implements PrecisionPluginProvider {

    /** The DJL engine name this provider serves. */
    public static final String ENGINE = "PyTorch";

    /**
     * System property that, set to {@code true}, makes LibTorch's autocast count as unavailable, so
     * that the fallback can be tested and reproduced on a machine that has it.
     */
    public static final String FORCE_NATIVE_UNAVAILABLE = "djl.precision.pytorch.nativeUnavailable";

    /** Why {@code bf16-true} is refused, measured on DJL 0.36 with LibTorch 2.7.1. */
    static final String BF16_TRUE_UNSUPPORTED =
            "bf16-true is not supported on DJL's PyTorch engine: it needs bfloat16 parameters, and"
                    + " DJL 0.36 cannot hold them without terminating the JVM. Its initializers and"
                    + " toType(BFLOAT16) hand bfloat16 to native code, which aborts the process; a"
                    + " bfloat16 parameter made inside LibTorch reads back as UNKNOWN, and DJL's"
                    + " optimizers abort the process when they create their state for it"
                    + " (NDArray.zerosLike). Use 'bf16-mixed' (fp32 parameters, bfloat16 compute)"
                    + " instead.";

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

    /**
     * Returns the precisions this provider answers for; {@code bf16-true} is among them only to be
     * refused with its reason.
     */
    @Override
    public Set<Precision> getPrecisions() {
        return Set.of(
                Precision.HALF_MIXED,
                Precision.BF16_MIXED,
                Precision.HALF_TRUE,
                Precision.BF16_TRUE,
                Precision.DOUBLE_TRUE);
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
        } else if (precision.computeType() == DataType.FLOAT16 && capability < 70) {
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
        if (precision == Precision.BF16_TRUE) {
            problems.add(BF16_TRUE_UNSUPPORTED);
            throw new UnsupportedPrecisionException(problems);
        }
        Plan plan = plan(config, problems);
        if (plan.parameterType != null && request.model() != null) {
            checkNotCreated(request.model(), plan.parameterType, problems);
        }
        Block root = request.model() == null ? null : request.model().getBlock();
        if (plan.typedStates() && root != null) {
            problems.addAll(
                    TrueTypeProblems.of(
                            root,
                            precision + config.getAmpLevel().map(l -> " amp_level " + l).orElse(""),
                            plan.parameterType.name().toLowerCase(Locale.ROOT)));
        }
        if (!problems.isEmpty()) {
            throw new UnsupportedPrecisionException(problems);
        }
        return plan.build(config, device, root);
    }

    private Plan plan(PrecisionConfig config, List<String> problems) {
        Precision precision = config.getPrecision();
        if (precision == Precision.DOUBLE_TRUE) {
            return new Plan(Kind.TRUE, DataType.FLOAT64, null, null);
        }
        if (precision == Precision.HALF_TRUE) {
            return new Plan(Kind.TRUE, DataType.FLOAT16, null, null);
        }
        AmpLevel level = config.getAmpLevel().orElse(null);
        if (level == AmpLevel.O0) {
            return new Plan(Kind.TRUE, DataType.FLOAT32, null, null);
        }
        if (level == AmpLevel.O3) {
            return new Plan(Kind.TRUE, DataType.FLOAT16, null, null);
        }
        Native nativeAmp = nativeAmp(config);
        if (level == AmpLevel.O2) {
            return new Plan(Kind.MASTER_WEIGHTS, DataType.FLOAT16, nativeAmp.amp, null);
        }
        if (nativeAmp.autocast) {
            return new Plan(Kind.NATIVE, null, nativeAmp.amp, null);
        }
        if (level == AmpLevel.O1 || precision != Precision.HALF_MIXED) {
            problems.add(
                    precision
                            + (level == null ? "" : " amp_level " + level)
                            + " needs LibTorch's native autocast, which cannot be used: "
                            + nativeAmp.reason
                            + (precision == Precision.HALF_MIXED
                                    ? " Use amp_level O2 (fp32 master weights) instead."
                                    : ""));
            return new Plan(Kind.NATIVE, null, null, null);
        }
        logger.warn(
                "16-mixed cannot use native autocast ({}); falling back to Apex-style O2: fp16"
                        + " model, fp32 master weights, fp32 norm layers, dynamic loss scaling",
                nativeAmp.reason);
        return new Plan(Kind.MASTER_WEIGHTS, DataType.FLOAT16, nativeAmp.amp, nativeAmp.reason);
    }

    /** Resolves LibTorch's autocast, or says why it cannot be used. */
    private static Native nativeAmp(PrecisionConfig config) {
        if (Boolean.getBoolean(FORCE_NATIVE_UNAVAILABLE)) {
            return new Native(
                    null,
                    false,
                    "LibTorch autocast is unavailable: forced by system property "
                            + FORCE_NATIVE_UNAVAILABLE
                            + ".");
        }
        LibTorchAmp amp;
        try {
            amp = LibTorchAmp.get();
        } catch (LibTorchUnavailableException e) {
            return new Native(null, false, "LibTorch autocast is unavailable: " + e.getMessage());
        }
        if (!config.isNativeAutocast()) {
            // the fused scaler kernels stay usable: only autocast was declined
            return new Native(amp, false, "native autocast declined with optNativeAutocast(false).");
        }
        return new Native(amp, true, null);
    }

    /**
     * Refuses a model whose parameters already exist in another type: DJL cannot convert them
     * ({@code Block.cast} throws), and training them as they are would silently run the wrong mode.
     */
    private static void checkNotCreated(Model model, DataType type, List<String> problems) {
        Block block = model.getBlock();
        List<Parameter> norms = NormLayers.parameters(block);
        for (Parameter parameter : block.getParameters().values()) {
            if (parameter.isInitialized() && parameter.getArray().getDataType() != type) {
                boolean normKeptFp32 =
                        type == DataType.FLOAT16
                                && parameter.getArray().getDataType() == DataType.FLOAT32
                                && norms.contains(parameter);
                if (!normKeptFp32) {
                    problems.add(
                            "Parameter "
                                    + parameter.getName()
                                    + " already exists in "
                                    + parameter.getArray().getDataType()
                                    + ", but this mode creates parameters in "
                                    + type
                                    + " and DJL cannot convert existing ones (Block.cast throws)."
                                    + " Create the trainer on a block whose parameters are not yet"
                                    + " created, then call trainer.initialize(...).");
                    return;
                }
            }
        }
    }

    private enum Kind {
        NATIVE,
        TRUE,
        MASTER_WEIGHTS
    }

    /**
     * LibTorch's bridge, and whether its autocast may be used.
     *
     * @param amp the bridge (for autocast and the fused scaler kernels), or null when unavailable
     * @param autocast whether the forward may run under native autocast
     * @param reason why it may not, or null
     */
    private record Native(LibTorchAmp amp, boolean autocast, String reason) {}

    /**
     * What to build.
     *
     * @param kind the recipe
     * @param parameterType the type the plugin creates parameters in, or null to leave them
     * @param amp LibTorch's bridge for autocast or fused kernels, or null
     * @param fallbackReason why native autocast is not used, for a fallback; else null
     */
    private record Plan(Kind kind, DataType parameterType, LibTorchAmp amp, String fallbackReason) {

        /** Whether recurrent blocks need their initial states in the parameters' type. */
        boolean typedStates() {
            return parameterType != null && parameterType != DataType.FLOAT32;
        }

        PrecisionPlugin build(PrecisionConfig config, Device device, Block root) {
            Precision precision = config.getPrecision();
            String level = config.getAmpLevel().map(l -> "apex-" + l + " ").orElse("");
            switch (kind) {
                case TRUE:
                    return new TruePrecisionPlugin(
                            precision,
                            parameterType,
                            level + "true(" + parameterType.name().toLowerCase(Locale.ROOT) + ")",
                            typedStates() ? new RecurrentStates(root) : null);
                case MASTER_WEIGHTS:
                    DynamicLossScaler o2Scaler = scaler(config);
                    String o2 =
                            "apex-O2(fp16 weights, fp32 master weights, fp32 norm layers, loss"
                                    + " scaling: "
                                    + o2Scaler.getKernelsName()
                                    + ")"
                                    + (fallbackReason == null
                                            ? ""
                                            : " fallback from native autocast: " + fallbackReason);
                    return new MasterWeightPlugin(o2Scaler, o2, new RecurrentStates(root));
                default:
                    DynamicLossScaler scaler =
                            precision.usesLossScaling() ? scaler(config) : null;
                    String pathHead =
                            level
                                    + "native-autocast("
                                    + (device.isGpu() ? "cuda" : "cpu")
                                    + ", "
                                    + precision.computeType().name().toLowerCase(Locale.ROOT)
                                    + (scaler == null
                                            ? ""
                                            : ", loss scaling: " + scaler.getKernelsName());
                    NativeAutocast autocast = new NativeAutocast(amp);
                    Fp32Islands islands =
                            new Fp32Islands(
                                    autocast,
                                    BlockPolicy.of(precision.computeType(), device),
                                    root);
                    return new PyTorchMixedPrecisionPlugin(
                            precision, autocast, scaler, pathHead, islands);
            }
        }

        private DynamicLossScaler scaler(PrecisionConfig config) {
            ScalerKernels kernels =
                    amp != null && config.getGradScaler().isFusedKernels()
                            ? new FusedScalerKernels(amp)
                            : new DjlScalerKernels();
            return new DynamicLossScaler(config.getGradScaler(), kernels);
        }
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.util.cuda.CudaUtils;
import io.github.djlprecision.AmpLevel;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.WeightConversion;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.DjlAmpKernels;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PyTorch engine's precisions: LibTorch's native autocast and GradScaler kernels for the mixed
 * modes, parameters created in the type for the true modes, and NVIDIA Apex's O0-O3 levels for
 * {@code 16-mixed}. When native autocast cannot be used (LibTorch lacks it, or the user declined it
 * with {@code optNativeAutocast(false)}), {@code 16-mixed} falls back to Apex O2 and says so in its
 * path.
 *
 * <p>For inference on a model whose parameters exist, {@code 16-true} and {@code 16-mixed} run over
 * weights converted to fp16 once ({@link ConvertedWeightsPlugin}) as {@link WeightConversion}
 * allows: {@code 16-true} as PyTorch's {@code model.half()}, {@code 16-mixed} still under autocast.
 * {@code bf16-mixed} keeps fp32 weights: DJL cannot hold bfloat16 parameters.
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

    /** Why {@code bf16-mixed} cannot run over converted weights. */
    static final String BF16_WEIGHTS_UNSUPPORTED =
            "bf16-mixed cannot convert weights to bfloat16: DJL 0.36 cannot hold bfloat16"
                    + " parameters without terminating the JVM (its toType(BFLOAT16) and"
                    + " NDArray decoding hand bfloat16 to native code). bf16-mixed runs under"
                    + " autocast over float32 weights; use weight conversion AUTO or NEVER, or"
                    + " '16-mixed' / '16-true' to convert to float16.";

    /** Weights converted once, run without autocast (PyTorch's {@code model.half()}). */
    private static final String HALF_PATH = "converted-weights(float16, float32 batch norm)";

    /** Weights converted once, run under autocast, which keeps every norm layer in fp32. */
    private static final String AUTOCAST_PATH = "converted-weights(float16, float32 norm layers)";

    private static final Logger logger = LoggerFactory.getLogger(PyTorchPrecisionProvider.class);

    /** CUDA compute capability per device id, read from the driver once per process. */
    private static final Map<Integer, String> CAPABILITIES = new ConcurrentHashMap<>();

    /** Warnings already logged: every trainer asks again, and says the same thing. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private final IntFunction<String> computeCapability;

    /** Creates the provider; {@link java.util.ServiceLoader} uses this constructor. */
    public PyTorchPrecisionProvider() {
        this(device -> CAPABILITIES.computeIfAbsent(device, CudaUtils::getComputeCapability));
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
                Precision.FLOAT_TRUE,
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
        } else if (precision.computeType() == DataType.FLOAT16
                && capability < 70
                && WARNED.add(device + " " + precision)) {
            logger.warn(
                    "{} has compute capability {}, below 7.0: no tensor cores, so {} saves"
                            + " memory but will not be faster than 32-true.",
                    device,
                    version,
                    precision);
        }
    }

    /**
     * Builds the recipe for a request, checking everything first.
     *
     * @param request the engine, devices, settings, purpose and model
     * @return the plugin: native autocast for the mixed modes (Apex O1 included), parameters in
     *     the type for the true modes (Apex O0 and O3 included), Apex O2, or, for inference over
     *     existing parameters, fp16 weights converted once
     * @throws UnsupportedPrecisionException with every problem found: {@code bf16-true} (DJL
     *     cannot hold bfloat16 parameters), a device other than CPU or CUDA, a CUDA compute
     *     capability below 8.0 for bf16, an Apex level or mixed mode that needs autocast LibTorch
     *     cannot provide, fp16 weights to train in a mode that trains fp32 ones, blocks a true mode
     *     cannot type, or weight conversion the model does not allow
     */
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
        Model model = request.model();
        boolean inference = request.purpose() == PluginRequest.Purpose.INFERENCE;
        String weightsNote = "";
        if (problems.isEmpty() && inference && hasParameters(model)) {
            Precision recipe = inferenceRecipe(config);
            InferencePlan inferencePlan =
                    planInference(config, recipe, device, model.getBlock(), problems);
            if (problems.isEmpty() && inferencePlan.plugin != null) {
                return ChannelsLastPlugin.wrapIfEnabled(inferencePlan.plugin, config, device, model);
            }
            if (problems.isEmpty()) {
                // a conversion refused above leaves the parameters as they are: no second problem
                InferenceParameterTypes.problem(model, recipe, describe(config))
                        .ifPresent(problems::add);
            }
            if (!problems.isEmpty()) {
                throw new UnsupportedPrecisionException(problems);
            }
            weightsNote = inferencePlan.weightsNote;
        }
        Plan plan = plan(config, problems);
        if (!inference && plan.kind == Kind.NATIVE && hasParameters(model)) {
            checkNotConverted(model, precision, problems);
        }
        Block root = request.model() == null ? null : request.model().getBlock();
        if (plan.typedStates() && root != null) {
            problems.addAll(
                    TrueTypeProblems.of(
                            root,
                            precision + config.getAmpLevel().map(l -> " amp_level " + l).orElse(""),
                            plan.computeType().name().toLowerCase(Locale.ROOT)));
        }
        if (!problems.isEmpty()) {
            throw new UnsupportedPrecisionException(problems);
        }
        return ChannelsLastPlugin.wrapIfEnabled(
                plan.build(config, device, weightsNote, root), config, device, model);
    }

    /**
     * Returns the precision whose inference recipe a setting runs: its own, or for an Apex level
     * the recipe of its forward pass: O0 fp32, O1 autocast ({@code 16-mixed}), O2 and O3 fp16
     * weights ({@code 16-true}: converted once, batch norm kept fp32 as Apex's {@code
     * keep_batchnorm_fp32}). O2's fp16 working copies exist only in a trainer.
     */
    private static Precision inferenceRecipe(PrecisionConfig config) {
        AmpLevel level = config.getAmpLevel().orElse(null);
        if (level == null) {
            return config.getPrecision();
        }
        switch (level) {
            case O0:
                return Precision.FLOAT_TRUE;
            case O1:
                return Precision.HALF_MIXED;
            default:
                return Precision.HALF_TRUE;
        }
    }

    private static String describe(PrecisionConfig config) {
        return "'"
                + config.getPrecision()
                + "'"
                + config.getAmpLevel().map(l -> " amp_level " + l).orElse("");
    }

    private static boolean hasParameters(Model model) {
        return model != null && model.getBlock() != null && model.getBlock().isInitialized();
    }

    /**
     * Plans inference over fp16 weights, converted once: the fastest correct path whenever the
     * weights may be converted, since autocast otherwise casts every weight on every call.
     *
     * @return the plugin over fp16 weights; or none, to run the weights as they are with the note
     *     saying why, or with problems added when the request must be refused
     */
    private InferencePlan planInference(
            PrecisionConfig config,
            Precision precision,
            Device device,
            Block root,
            List<String> problems) {
        String level = config.getAmpLevel().map(l -> "apex-" + l + " ").orElse("");
        WeightConversion conversion = config.getWeightConversion();
        if (precision == Precision.BF16_MIXED) {
            if (conversion == WeightConversion.ALWAYS) {
                problems.add(BF16_WEIGHTS_UNSUPPORTED);
            }
            String fp16 = Fp16Weights.firstFp16Weight(root);
            if (fp16 != null) {
                problems.add(
                        "Parameter "
                                + fp16
                                + " is float16 (weights converted for inference?): bf16-mixed"
                                + " would round it again to bfloat16 on every call. Run this model"
                                + " in '16-mixed' or '16-true'.");
            }
            return InferencePlan.KEEP;
        }
        if (precision != Precision.HALF_TRUE && precision != Precision.HALF_MIXED) {
            return InferencePlan.KEEP;
        }
        Native nativeAmp = precision == Precision.HALF_MIXED ? nativeAmp(config) : null;
        boolean autocast = nativeAmp != null && nativeAmp.autocast;
        boolean converted = Fp16Weights.isConverted(root, autocast);
        if (!converted && conversion == WeightConversion.NEVER) {
            if (precision == Precision.HALF_TRUE) {
                problems.add(
                        describe(config)
                                + " runs float16 weights, but this model holds float32 ones and"
                                + " weight conversion is NEVER. Use AUTO (the default) to convert"
                                + " them once, or '16-mixed' to keep them and cast per call.");
            }
            return new InferencePlan(null, " over float32 weights");
        }
        List<String> why = Fp16Weights.problems(root, autocast);
        if (why.isEmpty()) {
            String path =
                    level
                            + (autocast
                                    ? "native-autocast("
                                            + (device.isGpu() ? "cuda" : "cpu")
                                            + ", float16) over "
                                            + AUTOCAST_PATH
                                    : HALF_PATH
                                            + (nativeAmp == null
                                                    ? ""
                                                    : ", no autocast: " + nativeAmp.reason));
            return new InferencePlan(
                    new ConvertedWeightsPlugin(
                            config.getPrecision(),
                            autocast ? new NativeAutocast(nativeAmp.amp) : null,
                            path),
                    "");
        }
        if (precision == Precision.HALF_TRUE
                || conversion == WeightConversion.ALWAYS
                || converted
                || !autocast) {
            problems.addAll(why);
            return InferencePlan.KEEP;
        }
        return new InferencePlan(null, " over float32 weights (not converted: " + why.get(0) + ")");
    }

    /**
     * Refuses to train fp16 weights (e.g. converted for inference) in a mode that trains fp32 ones:
     * autocast would run, but DJL's optimizers would update fp16 weights without master copies.
     */
    private static void checkNotConverted(Model model, Precision precision, List<String> problems) {
        String fp16 = Fp16Weights.firstFp16Weight(model.getBlock());
        if (fp16 != null) {
            String property = model.getProperty(WeightConversion.PROPERTY);
            String saved = model.getProperty("precision.value");
            problems.add(
                    "Parameter "
                            + fp16
                            + " is float16"
                            + (property == null
                                    ? ""
                                    : " (converted for inference: model property "
                                            + WeightConversion.PROPERTY
                                            + "="
                                            + property
                                            + ")")
                            + ", but "
                            + precision
                            + " trains float32 weights. "
                            + (saved == null
                                    ? "Load"
                                    : "Train it in the precision it was saved in ('"
                                            + saved
                                            + "'), or load")
                            + " the float32 model it was converted from.");
        }
    }

    private Plan plan(PrecisionConfig config, List<String> problems) {
        Precision precision = config.getPrecision();
        AmpLevel level = config.getAmpLevel().orElse(null);
        Native nativeAmp = nativeAmp(config);
        if (precision == Precision.FLOAT_TRUE) {
            return new Plan(Kind.SINGLE, nativeAmp.amp, null);
        }
        if (precision == Precision.DOUBLE_TRUE) {
            return new Plan(Kind.DOUBLE, nativeAmp.amp, null);
        }
        if (precision == Precision.HALF_TRUE || level == AmpLevel.O3) {
            return new Plan(Kind.HALF, nativeAmp.amp, null);
        }
        if (level == AmpLevel.O0) {
            return new Plan(Kind.APEX_O0, nativeAmp.amp, null);
        }
        if (level == AmpLevel.O2) {
            return new Plan(Kind.APEX_O2, nativeAmp.amp, null);
        }
        if (nativeAmp.autocast) {
            return new Plan(Kind.NATIVE, nativeAmp.amp, null);
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
            return new Plan(Kind.NATIVE, null, null);
        }
        if (WARNED.add(nativeAmp.reason)) {
            logger.warn(
                    "16-mixed cannot use native autocast ({}); falling back to Apex-style O2: fp16"
                            + " working copies, fp32 master weights, fp32 norm layers, dynamic"
                            + " loss scaling",
                    nativeAmp.reason);
        }
        return new Plan(Kind.APEX_O2, nativeAmp.amp, nativeAmp.reason);
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
     * What inference over existing parameters runs.
     *
     * @param plugin the plugin over fp16 weights, or null to run the weights as they are
     * @param weightsNote appended to the path of a plan that keeps the weights, saying so
     */
    private record InferencePlan(PrecisionPlugin plugin, String weightsNote) {
        static final InferencePlan KEEP = new InferencePlan(null, "");
    }

    private enum Kind {
        SINGLE,
        NATIVE,
        HALF,
        DOUBLE,
        APEX_O0,
        APEX_O2
    }

    /**
     * LibTorch's bridge, and whether its autocast may be used.
     *
     * @param amp the bridge (for autocast and the fused kernels), or null when unavailable
     * @param autocast whether the forward may run under native autocast
     * @param reason why it may not, or null
     */
    private record Native(LibTorchAmp amp, boolean autocast, String reason) {}

    /**
     * What to build.
     *
     * @param kind the recipe
     * @param amp LibTorch's bridge for autocast or fused kernels, or null
     * @param fallbackReason why native autocast is not used, for a fallback; else null
     */
    private record Plan(Kind kind, LibTorchAmp amp, String fallbackReason) {

        /**
         * Returns the type the forward computes weights in, without autocast: fp16 for Apex O2's
         * working copies and 16-true, fp64 for 64-true; null for autocast.
         */
        DataType computeType() {
            switch (kind) {
                case HALF:
                case APEX_O2:
                    return DataType.FLOAT16;
                case DOUBLE:
                    return DataType.FLOAT64;
                case SINGLE:
                case APEX_O0:
                    return DataType.FLOAT32;
                default:
                    return null;
            }
        }

        /** Whether recurrent blocks need their initial states in the compute type. */
        boolean typedStates() {
            return computeType() != null && computeType() != DataType.FLOAT32;
        }

        PrecisionPlugin build(
                PrecisionConfig config, Device device, String weightsNote, Block root) {
            RecurrentStates states = typedStates() ? new RecurrentStates(root) : null;
            FusedOptimizers fusion =
                    new FusedOptimizers(
                            config.getOptimizerFusion(),
                            amp,
                            kind == Kind.HALF ? DataType.FLOAT16 : DataType.FLOAT32,
                            device);
            Precision precision = config.getPrecision();
            AmpKernels kernels =
                    amp != null && config.getGradScaler().isFusedKernels()
                            ? new LibTorchAmpKernels(amp)
                            : DjlAmpKernels.INSTANCE;
            switch (kind) {
                case HALF:
                    String level = config.getAmpLevel().map(l -> "apex-" + l + " ").orElse("");
                    return new HalfPrecision(
                            precision, level + "true(float16)", kernels, states, fusion);
                case SINGLE:
                    return new FloatPrecision(kernels, fusion);
                case DOUBLE:
                    return new DoublePrecision(kernels, states, fusion);
                case APEX_O0:
                    return new ApexO0Precision(kernels, fusion);
                case APEX_O2:
                    String o2 =
                            "apex-O2(fp16 working copies, fp32 master weights, fp32 norm layers,"
                                    + " loss scaling: "
                                    + kernels.name()
                                    + ")"
                                    + (fallbackReason == null
                                            ? ""
                                            : " fallback from native autocast: " + fallbackReason);
                    return new ApexO2Precision(
                            new DynamicLossScaler(config.getGradScaler(), kernels),
                            kernels,
                            o2,
                            states,
                            fusion);
                default:
                    DynamicLossScaler scaler =
                            precision.usesLossScaling()
                                    ? new DynamicLossScaler(config.getGradScaler(), kernels)
                                    : null;
                    String pathHead =
                            config.getAmpLevel().map(l -> "apex-" + l + " ").orElse("")
                                    + "native-autocast("
                                    + (device.isGpu() ? "cuda" : "cpu")
                                    + ", "
                                    + precision.computeType().name().toLowerCase(Locale.ROOT)
                                    + (scaler == null ? "" : ", loss scaling: " + kernels.name());
                    NativeAutocast autocast = new NativeAutocast(amp);
                    Fp32Islands islands =
                            new Fp32Islands(
                                    autocast,
                                    BlockPolicy.of(precision.computeType(), device),
                                    root);
                    return new NativeMixedPrecision(
                            precision,
                            autocast,
                            scaler,
                            kernels,
                            pathHead,
                            weightsNote,
                            islands,
                            fusion);
            }
        }
    }
}

package io.github.djlprecision.tensorflow;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.tensorflow.engine.javacpp.JavacppUtils;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;

/**
 * The options to load a DJL TensorFlow model (a SavedModel behind a {@code Predictor}) with so that
 * it runs in a 16-bit or mixed precision through TensorFlow's own graph rewrites, and the check
 * afterwards that it really does. DJL's TensorFlow NDArrays cannot hold 16-bit types, so all 16-bit
 * work happens inside the TensorFlow graph; inputs and outputs stay float32.
 *
 * <pre>{@code
 * TensorFlowLoadOptions options =
 *         TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-mixed"))
 *                 .build();                           // before the TensorFlow engine loads
 * Criteria<NDList, NDList> criteria = Criteria.builder()
 *         .setTypes(NDList.class, NDList.class)
 *         .optModelPath(savedModelDir)
 *         .optEngine("TensorFlow")
 *         .optOptions(options.getLoadOptions())
 *         .build();
 * try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
 *     TensorFlowPrecisionReport report = options.verify(model); // throws if not in effect
 * }
 * }</pre>
 *
 * <p>What each precision does here:
 *
 * <ul>
 *   <li>{@code bf16-mixed} (CPU): grappler's {@code auto_mixed_precision_onednn_bfloat16}
 *       rewrite, which needs oneDNN ({@code TF_ENABLE_ONEDNN_OPTS=1}, set by {@link
 *       Builder#build()} when unset).
 *   <li>{@code 16-mixed} (GPU only): grappler's {@code auto_mixed_precision} rewrite.
 *   <li>{@code 32-true}: no rewrite; {@link #verify} confirms no op runs in 16 bits.
 *   <li>{@code bf16-true}, {@code 16-true}, {@code 64-true}: refused. TensorFlow's rewrites are
 *       mixed precision only (variables and sensitive ops stay float32), and there is none to
 *       float64.
 * </ul>
 *
 * <p>XLA JIT ({@link Builder#optXla}, on by default on a TPU) sets the session's {@code
 * global_jit_level} and, on CPU, {@code TF_XLA_FLAGS=--tf_xla_cpu_global_jit}. Soft placement is
 * always off, so a graph pinned to a device TensorFlow lacks fails instead of running on CPU.
 *
 * <p>TensorFlow's native log shows warnings and errors only: {@link Builder#build()} sets {@code
 * TF_CPP_MIN_LOG_LEVEL=1} when the environment has no value. Set it to {@code 0} before starting
 * Java to see TensorFlow's INFO lines too, e.g. grappler's "Converted N/M nodes to bfloat16".
 *
 * <p>It is not a {@code PrecisionPlugin}: DJL's TensorFlow engine cannot train, and on inference
 * every 16-bit step happens inside TensorFlow, chosen by the options the model is loaded with, so
 * none of the plugin hooks would run. {@code PrecisionTrainer} refuses TensorFlow with that reason.
 */
public final class TensorFlowLoadOptions {

    /** The process variable that switches TensorFlow's oneDNN code, and its bf16 rewrite, on. */
    public static final String ONEDNN_OPTS = "TF_ENABLE_ONEDNN_OPTS";

    /** The process variable TensorFlow reads its XLA flags from. */
    public static final String XLA_FLAGS = "TF_XLA_FLAGS";

    /** The XLA flag that lets {@code global_jit_level} compile clusters on CPU. */
    public static final String XLA_CPU_GLOBAL_JIT = "--tf_xla_cpu_global_jit";

    /**
     * The process variable TensorFlow's native log reads its threshold from: 0 INFO, 1 WARNING, 2
     * ERROR, 3 FATAL.
     */
    public static final String LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL";

    private static final Logger logger = LoggerFactory.getLogger(TensorFlowLoadOptions.class);

    /**
     * DJL's default session config, read once per process: it asks CUDA for the GPU count, which
     * logs a warning each time where a CUDA runtime has no usable driver.
     */
    private static volatile ConfigProto djlSessionConfig;

    private final Precision precision;
    private final Device device;
    private final boolean xla;
    private final boolean failWhenNotInEffect;
    private final ConfigProto configProto;
    private volatile TensorFlowPrecisionReport lastReport;

    private TensorFlowLoadOptions(Builder builder, boolean xla) {
        precision = builder.precision;
        device = builder.device;
        this.xla = xla;
        failWhenNotInEffect = builder.failWhenNotInEffect;
        configProto = sessionConfig();
    }

    /**
     * Returns a builder for a precision's settings; its device is the CPU until set. TensorFlow
     * reads the precision of the settings; an Apex level (a PyTorch recipe) and a mixed precision
     * with native autocast declined (TensorFlow's graph rewrite is its only path) are refused by
     * {@link Builder#build()}.
     *
     * @param config the precision settings, e.g. {@code PrecisionConfig.of("bf16-mixed")}
     * @return a new builder
     * @throws IllegalArgumentException if the settings are null
     */
    public static Builder builder(PrecisionConfig config) {
        if (config == null) {
            throw new IllegalArgumentException(
                    "The precision settings must not be null; use PrecisionConfig.of(\"32-true\")"
                            + " for fp32.");
        }
        return new Builder(config);
    }

    /**
     * Returns the options for a precision's settings on a device: {@code
     * builder(config).optDevice(device).build()}.
     *
     * @param config the precision settings
     * @param device the device the model runs on
     * @return the options; built before anything loads the TensorFlow engine
     * @throws UnsupportedPrecisionException listing every reason the settings cannot run
     */
    public static TensorFlowLoadOptions of(PrecisionConfig config, Device device) {
        return builder(config).optDevice(device).build();
    }

    private ConfigProto sessionConfig() {
        RewriterConfig.Builder rewrites = RewriterConfig.newBuilder();
        if (precision.isBfloat16()) {
            rewrites.setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON);
        } else if (precision == Precision.HALF_MIXED) {
            rewrites.setAutoMixedPrecision(RewriterConfig.Toggle.ON);
        }
        GraphOptions.Builder graph = GraphOptions.newBuilder();
        if (xla) {
            graph.setOptimizerOptions(
                    OptimizerOptions.newBuilder()
                            .setGlobalJitLevel(OptimizerOptions.GlobalJitLevel.ON_1));
            // grappler's remapper fuses MatMul+BiasAdd+Relu into kernels XLA cannot compile,
            // which leaves nothing for XLA to cluster (seen on CPU with oneDNN)
            rewrites.setRemapping(RewriterConfig.Toggle.OFF);
        }
        graph.setRewriteOptions(rewrites);
        // DJL's default keeps its thread settings and visible GPUs; it turns soft placement on
        // with GPUs, which would run a graph pinned to a missing device silently on CPU
        return djlSessionConfig().toBuilder()
                .setGraphOptions(graph)
                .setAllowSoftPlacement(false)
                .build();
    }

    private static ConfigProto djlSessionConfig() {
        ConfigProto config = djlSessionConfig;
        if (config == null) {
            config = JavacppUtils.getSessionConfig();
            djlSessionConfig = config;
        }
        return config;
    }

    /**
     * Returns the precision these options run.
     *
     * @return the precision
     */
    public Precision getPrecision() {
        return precision;
    }

    /**
     * Returns what runs: after a {@link #verify} the path it found in effect, before that what is
     * configured, marked as not verified.
     *
     * @return the path
     */
    public String getPath() {
        TensorFlowPrecisionReport report = lastReport;
        if (report != null) {
            return "tensorflow " + report.getPath();
        }
        String rewrite =
                precision.isBfloat16()
                        ? "auto_mixed_precision_onednn_bfloat16"
                        : precision == Precision.HALF_MIXED ? "auto_mixed_precision" : "no rewrite";
        return "tensorflow "
                + rewrite
                + (xla ? " + XLA JIT" : "")
                + " on "
                + device
                + " (configured, not verified: call verify)";
    }

    /**
     * Returns the device the model must run on.
     *
     * @return the device
     */
    public Device getDevice() {
        return device;
    }

    /**
     * Returns whether XLA JIT is configured.
     *
     * @return true if the session compiles XLA clusters
     */
    public boolean isXla() {
        return xla;
    }

    /**
     * Returns the session configuration a model must be loaded with.
     *
     * @return the configuration
     */
    public ConfigProto getConfigProto() {
        return configProto;
    }

    /**
     * Returns the options to load a model with: pass them to {@code Criteria.Builder.optOptions}
     * or {@code Model.load(path, prefix, options)}. DJL's TensorFlow engine reads {@code
     * ConfigProto} as base64 of the serialized proto.
     *
     * @return the load options
     */
    public Map<String, String> getLoadOptions() {
        return Map.of("ConfigProto", Base64.getEncoder().encodeToString(configProto.toByteArray()));
    }

    /**
     * Runs the model once on zeros of its signature's shapes (unknown dimensions as 1) and checks
     * that the precision, device and XLA setting are in effect; see {@link #verify(Model, NDList)}.
     *
     * @param model a model loaded with {@link #getLoadOptions()}
     * @return what is in effect
     * @throws PrecisionNotInEffectException if not as requested and failing is on (the default)
     */
    public TensorFlowPrecisionReport verify(Model model) {
        return verify(model, null);
    }

    /**
     * Runs the model once on a probe input, with the same feeds and fetches as DJL's predictor,
     * and reads the graphs TensorFlow really executed: which compute ops run in which data type,
     * on which device, and how many XLA clusters ran. Rewrites do not depend on input values, so
     * any input of the right shapes and types will do.
     *
     * @param model a model loaded with {@link #getLoadOptions()}
     * @param probe the model's inputs, in DJL's order; null for zeros
     * @return what is in effect
     * @throws PrecisionNotInEffectException if not as requested and failing is on (the default);
     *     with failing off the problems are logged as a warning instead
     */
    public TensorFlowPrecisionReport verify(Model model, NDList probe) {
        TensorFlowPrecisionReport report =
                TensorFlowPrecisionReport.of(
                        SessionProbe.run(model, probe), precision, device, xla, environmentHint());
        lastReport = report;
        if (!report.isAsRequested()) {
            if (failWhenNotInEffect) {
                throw new PrecisionNotInEffectException(report);
            }
            logger.warn("{}: {}", model.getName(), report);
        }
        return report;
    }

    private String environmentHint() {
        List<String> hints = new ArrayList<>();
        if (precision.isBfloat16()) {
            hints.add(ONEDNN_OPTS + "=" + ProcessEnvironment.get(ONEDNN_OPTS));
        }
        if (xla) {
            hints.add(XLA_FLAGS + "=" + ProcessEnvironment.get(XLA_FLAGS));
        }
        return hints.isEmpty() ? "" : "(process environment: " + String.join(", ", hints) + ")";
    }

    /** Builds {@link TensorFlowLoadOptions}. */
    public static final class Builder {

        private final PrecisionConfig config;
        private final Precision precision;
        private Device device = Device.cpu();
        private Boolean xla;
        private boolean failWhenNotInEffect = true;

        private Builder(PrecisionConfig config) {
            this.config = config;
            precision = config.getPrecision();
        }

        /**
         * Sets the device the model must run on (default CPU). It must be one TensorFlow lists:
         * {@link #build()} refuses a device it does not have rather than let TensorFlow fall back
         * to the CPU.
         *
         * @param device e.g. {@code Device.cpu()}, {@code Device.gpu(0)}, {@code Device.of("tpu",
         *     0)}
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder optDevice(Device device) {
            if (device == null) {
                throw new IllegalArgumentException("Device must not be null.");
            }
            this.device = device;
            return this;
        }

        /**
         * Switches XLA JIT compilation on or off; by default it is on for a TPU only.
         *
         * @param xla true to compile clusters of the graph with XLA
         * @return this builder
         */
        public Builder optXla(boolean xla) {
            this.xla = xla;
            return this;
        }

        /**
         * Sets whether {@link TensorFlowLoadOptions#verify} throws when the request is not in
         * effect (default true) or only logs a warning and returns the report.
         *
         * @param fail false to warn instead of throwing
         * @return this builder
         */
        public Builder optFailWhenNotInEffect(boolean fail) {
            this.failWhenNotInEffect = fail;
            return this;
        }

        /**
         * Checks the request, prepares the process environment TensorFlow reads at load time, and
         * for a GPU or TPU checks that TensorFlow has the device (which loads the engine). Call it
         * before anything loads the TensorFlow engine.
         *
         * @return the options
         * @throws UnsupportedPrecisionException listing every reason the request cannot run
         */
        public TensorFlowLoadOptions build() {
            String type = TensorFlowDevices.typeOf(device);
            boolean useXla = xla != null ? xla : "TPU".equals(type);
            List<String> problems = TensorFlowRequests.problems(config, device, type, useXla);
            if (problems.isEmpty()) {
                TensorFlowEnvironment.prepare(precision, type, useXla);
            }
            if (!"CPU".equals(type) && !TensorFlowDevices.has(device)) {
                problems.add(0, TensorFlowRequests.missingDevice(device, type));
            }
            if (!problems.isEmpty()) {
                throw new UnsupportedPrecisionException(problems);
            }
            return new TensorFlowLoadOptions(this, useXla);
        }
    }
}

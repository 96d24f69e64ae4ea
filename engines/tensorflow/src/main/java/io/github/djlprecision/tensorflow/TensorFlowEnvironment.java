package io.github.djlprecision.tensorflow;

import io.github.djlprecision.Precision;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process environment TensorFlow reads when it loads, prepared for a request: only values the
 * user did not set are set, and a value set after TensorFlow loaded is warned about.
 */
final class TensorFlowEnvironment {

    private static final String LOG_LEVEL = TensorFlowLoadOptions.LOG_LEVEL;
    private static final String ONEDNN_OPTS = TensorFlowLoadOptions.ONEDNN_OPTS;
    private static final String XLA_FLAGS = TensorFlowLoadOptions.XLA_FLAGS;
    private static final String XLA_CPU_GLOBAL_JIT = TensorFlowLoadOptions.XLA_CPU_GLOBAL_JIT;

    private static final Logger logger = LoggerFactory.getLogger(TensorFlowEnvironment.class);

    /** Warnings about the process environment already logged: it is the same for every request. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private TensorFlowEnvironment() {}

    /**
     * Sets what TensorFlow reads from the process environment at load time for a request, where
     * the user has not: a quieter native log, oneDNN for bf16, the XLA CPU flag.
     *
     * @param precision the precision
     * @param type TensorFlow's device type
     * @param useXla whether XLA JIT is on
     */
    static void prepare(Precision precision, String type, boolean useXla) {
        boolean loaded = ProcessEnvironment.isTensorFlowLoaded();
        if (ProcessEnvironment.get(LOG_LEVEL) == null) {
            // TensorFlow's INFO lines (CPU features, SavedModel loading, grappler) fill a
            // console; warnings and errors still show
            ProcessEnvironment.set(LOG_LEVEL, "1");
        }
        if (precision.isBfloat16()) {
            String onednn = ProcessEnvironment.get(ONEDNN_OPTS);
            if (onednn == null) {
                ProcessEnvironment.set(ONEDNN_OPTS, "1");
                warnIfLoaded(loaded, ONEDNN_OPTS + "=1");
            } else if (!"1".equals(onednn)
                    && !"true".equalsIgnoreCase(onednn)
                    && WARNED.add(ONEDNN_OPTS + "=" + onednn)) {
                // a value the user set is theirs; verify() will report the outcome
                logger.warn(
                        "{}={} in the environment switches oneDNN, and with it TensorFlow's"
                                + " bfloat16 rewrite, off: {} will not be in effect. Left as"
                                + " set.",
                        ONEDNN_OPTS,
                        onednn,
                        precision);
            }
        }
        if (useXla && "CPU".equals(type)) {
            String flags = ProcessEnvironment.get(XLA_FLAGS);
            if (flags == null || !flags.contains(XLA_CPU_GLOBAL_JIT)) {
                String value =
                        flags == null ? XLA_CPU_GLOBAL_JIT : flags + " " + XLA_CPU_GLOBAL_JIT;
                ProcessEnvironment.set(XLA_FLAGS, value);
                warnIfLoaded(loaded, XLA_FLAGS + "=" + value);
            }
        }
    }

    private static void warnIfLoaded(boolean loaded, String setting) {
        if (loaded && WARNED.add(setting)) {
            logger.warn(
                    "Set {} after TensorFlow was loaded; TensorFlow may have read its"
                            + " environment already. Build the load options before"
                            + " loading the engine; verify() reports what is in effect.",
                    setting);
        }
    }
}

package io.github.djlprecision.tensorflow;

import ai.djl.Device;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import java.util.ArrayList;
import java.util.List;

/** What a TensorFlow load request cannot do, checked before anything loads the engine. */
final class TensorFlowRequests {

    private TensorFlowRequests() {}

    /**
     * Lists what TensorFlow cannot do of a request: an Apex level, a mixed precision with native
     * autocast declined, a precision its rewrites cannot deliver, or not on that device.
     *
     * @param config the user's settings
     * @param device the device the model runs on
     * @param type TensorFlow's device type, {@code "CPU"}, {@code "GPU"} or {@code "TPU"}
     * @param useXla whether XLA JIT is on
     * @return the problems, each with what to use instead
     */
    static List<String> problems(PrecisionConfig config, Device device, String type, boolean useXla) {
        Precision precision = config.getPrecision();
        List<String> problems = new ArrayList<>();
        config.getAmpLevel()
                .ifPresent(
                        level ->
                                problems.add(
                                        "amp_level "
                                                + level
                                                + " is an Apex (PyTorch) recipe; TensorFlow"
                                                + " has none. Drop amp_level."));
        if (precision.isMixed() && !config.isNativeAutocast()) {
            problems.add(
                    "Precision '"
                            + precision
                            + "' on TensorFlow has only TensorFlow's own graph rewrite, which"
                            + " optNativeAutocast(false) declines. Allow it, or use '32-true'.");
        }
        if (precision == Precision.DOUBLE_TRUE) {
            problems.add(
                    "Precision '64-true' is not supported on TensorFlow: a SavedModel"
                            + " keeps the data types it was exported with and TensorFlow"
                            + " has no rewrite to float64. Export the model in float64,"
                            + " or use 32-true.");
        } else if (precision == Precision.HALF_TRUE) {
            problems.add(
                    "Precision '16-true' is not supported on TensorFlow: its rewrites"
                            + " keep parameters and numerically sensitive ops in float32."
                            + " Use '16-mixed' on a GPU or 'bf16-mixed' on a CPU.");
        } else if (precision == Precision.HALF_MIXED) {
            if (!"GPU".equals(type)) {
                problems.add(
                        "Precision '16-mixed' needs a GPU on TensorFlow, not "
                                + device
                                + ": its float16 rewrite (auto_mixed_precision) runs on"
                                + " GPUs only, and the CPU variant"
                                + " (auto_mixed_precision_cpu) only rounds through"
                                + " float16 while MatMul stays float32. Use 'bf16-mixed'"
                                + " on a CPU.");
            }
        } else if (precision == Precision.BF16_TRUE) {
            // refused up front: the rewrite cannot deliver it, so verify() could only
            // ever report bf16-mixed after the model had loaded
            problems.add(
                    "Precision 'bf16-true' is not supported on TensorFlow: its bfloat16"
                            + " rewrite (auto_mixed_precision_onednn_bfloat16) is mixed"
                            + " precision only, keeping variables and numerically"
                            + " sensitive ops (e.g. Relu) in float32, so no model runs"
                            + " entirely in bfloat16. Use 'bf16-mixed'.");
        } else if (precision == Precision.BF16_MIXED) {
            if (!"CPU".equals(type)) {
                problems.add(
                        "Precision 'bf16-mixed' runs on CPU only on TensorFlow, not "
                                + device
                                + ": its bfloat16 rewrite"
                                + " (auto_mixed_precision_onednn_bfloat16) converts"
                                + " oneDNN CPU ops. Use 'bf16-mixed' on Device.cpu(),"
                                + " '16-mixed' on a GPU, or '32-true'.");
            } else if (useXla) {
                problems.add(
                        "Precision 'bf16-mixed' cannot be combined with XLA on CPU: XLA computes"
                                + " bfloat16 ops in float32, so outputs are not"
                                + " bfloat16-rounded and bf16 would not be in effect."
                                + " Use bf16 without XLA, or XLA with '32-true'.");
            }
        } else if (precision != Precision.FLOAT_TRUE) {
            problems.add(
                    "Precision '"
                            + precision
                            + "' is not supported on TensorFlow: its graph rewrites serve"
                            + " '32-true', '16-mixed' (GPU) and 'bf16-mixed' (CPU).");
        }
        return problems;
    }

    /**
     * Says that TensorFlow lacks a device, and what it needs to have one.
     *
     * @param device the device asked for
     * @param type TensorFlow's device type
     * @return the problem
     */
    static String missingDevice(Device device, String type) {
        String message =
                "TensorFlow has no device "
                        + device
                        + " in this process; it lists "
                        + TensorFlowDevices.list()
                        + ". Refusing rather than running on another device.";
        if ("TPU".equals(type)) {
            message +=
                    " A TPU needs a TPU host and TensorFlow natives built with TPU support"
                            + " (libtpu); tensorflow-core-native is CPU-only. Use"
                            + " Device.cpu() here.";
        } else if ("GPU".equals(type)) {
            message +=
                    " A GPU needs CUDA natives (e.g. ai.djl.tensorflow:tensorflow-native-cu121"
                            + " on a CUDA host); tensorflow-core-native is CPU-only.";
        }
        return message;
    }
}

package io.github.djlprecision.pytorch;

import java.util.List;

/**
 * Which precision to train in on the PyTorch engine, for a machine's hardware: the decision table
 * of {@code docs/choosing-a-precision.md}, where the measured figures behind each row are.
 *
 * <p>On GPUs (the lowest compute capability among them decides, since the trainer uses them all):
 * 8.0 and newer (Ampere, Ada, Hopper, Blackwell) {@code bf16-mixed}, whose fp32 exponent range
 * needs no loss scaling, with {@code 16-mixed} as the alternative; 7.0 to 7.5 (Volta, Turing)
 * {@code 16-mixed}, since their tensor cores have fp16 and no bf16 (this library refuses
 * {@code bf16-mixed} below 8.0); below 7.0 {@code 32-true}, since without tensor cores fp16 saves
 * memory but not time. On CPUs: {@code bf16-mixed} with AVX512_BF16 or AMX-BF16 (oneDNN's bf16
 * kernels), {@code 16-mixed} with AVX512_FP16 or AMX-FP16 alone, else {@code 32-true}, since
 * LibTorch then emulates 16-bit arithmetic and trains slower than in fp32. The same hardware
 * generations decide Lightning's documented choice ({@code bf16-mixed} on Ampere and newer).
 */
public final class PrecisionAdvisor {

    /** The first compute capability with bf16 tensor cores (Ampere, 8.0). */
    static final int BF16_CAPABILITY = 80;

    /** The first compute capability with fp16 tensor cores (Volta, 7.0). */
    static final int TENSOR_CORE_CAPABILITY = 70;

    private PrecisionAdvisor() {}

    /**
     * A recommendation: the precision value to pass to {@code PrecisionConfig.of}, where it
     * applies, why, and what else to consider.
     *
     * @param precision a Lightning precision value, e.g. {@code "bf16-mixed"}
     * @param device what the recommendation is for, e.g. {@code "gpu (compute capability 9.0)"}
     * @param reasons why, one sentence each
     * @param alternatives other values worth trying and when, one sentence each
     */
    public record Advice(
            String precision, String device, List<String> reasons, List<String> alternatives) {

        /** Copies the lists so that the advice cannot change afterwards. */
        public Advice {
            reasons = List.copyOf(reasons);
            alternatives = List.copyOf(alternatives);
        }
    }

    /**
     * Recommends a training precision for a machine.
     *
     * @param facts the machine's CPU flags and GPU compute capabilities
     * @return for the GPUs when there is one, else for the CPU
     */
    public static Advice advise(MachineFacts facts) {
        if (!facts.gpuCapabilities().isEmpty()) {
            return forGpus(facts.gpuCapabilities());
        }
        return forCpu(facts);
    }

    private static Advice forGpus(List<Integer> capabilities) {
        int lowest = capabilities.stream().mapToInt(Integer::intValue).min().orElseThrow();
        String version = lowest / 10 + "." + lowest % 10;
        String device =
                capabilities.size() == 1
                        ? "gpu (compute capability " + version + ")"
                        : capabilities.size() + " gpus (lowest compute capability " + version + ")";
        if (lowest >= BF16_CAPABILITY) {
            return new Advice(
                    "bf16-mixed",
                    device,
                    List.of(
                            "compute capability 8.0 and newer (Ampere and later) has bf16 tensor"
                                    + " cores as fast as fp16 ones",
                            "bf16 has fp32's exponent range: no loss scaling, no skipped steps,"
                                    + " no overflow in deep models' activations"),
                    List.of(
                            "16-mixed: often as fast or faster (convolution-heavy models such as"
                                    + " ResNet-50 were faster in it), and it runs every DJL block"
                                    + " in 16 bits where bf16-mixed keeps unchecked blocks as fp32"
                                    + " islands (getPath() names them)",
                            "16-mixed with weights converted once (PrecisionBlock.wrap) for"
                                    + " serving: bf16-mixed was slower than fp32 at batch 1"));
        }
        if (lowest >= TENSOR_CORE_CAPABILITY) {
            return new Advice(
                    "16-mixed",
                    device,
                    List.of(
                            "compute capability 7.0 to 7.5 (Volta, Turing) has fp16 tensor cores"
                                    + " and no bf16 ones; bf16-mixed is refused below 8.0",
                            "dynamic loss scaling keeps small gradients from underflowing in fp16"),
                    List.of(
                            "32-true, or the precision circuit breaker, when a model's"
                                    + " activations overflow fp16 and steps keep being skipped"));
        }
        return new Advice(
                "32-true",
                device,
                List.of(
                        "below compute capability 7.0 there are no tensor cores: 16-bit math is"
                                + " not faster than fp32"),
                List.of("16-mixed to halve activation memory, at about fp32's speed"));
    }

    private static Advice forCpu(MachineFacts facts) {
        String device = "cpu (" + facts.cpuModel() + ")";
        if (facts.cpuHasBfloat16()) {
            return new Advice(
                    "bf16-mixed",
                    device,
                    List.of(
                            "the CPU has "
                                    + (facts.cpuFlags().contains("amx_bf16")
                                            ? "AMX-BF16"
                                            : "AVX512_BF16")
                                    + ": oneDNN computes matrix products and convolutions in"
                                    + " bf16 in hardware",
                            "bf16 needs no loss scaling"),
                    List.of(
                            facts.cpuHasFloat16()
                                    ? "16-mixed: the CPU also has fp16 arithmetic"
                                    : "not 16-mixed: without AVX512_FP16 or AMX-FP16 oneDNN"
                                            + " has few fp16 kernels, and 16-bit modes were slower"
                                            + " than 32-true where it had none",
                            "32-true for models whose blocks mostly run as fp32 islands under"
                                    + " bf16-mixed"));
        }
        if (facts.cpuHasFloat16()) {
            return new Advice(
                    "16-mixed",
                    device,
                    List.of(
                            "the CPU has AVX512_FP16 or AMX-FP16 and no bf16 arithmetic: oneDNN"
                                    + " runs fp16 in hardware"),
                    List.of("32-true when steps keep being skipped (fp16 overflow)"));
        }
        return new Advice(
                "32-true",
                device,
                List.of(
                        "the CPU has neither AVX512_BF16, AVX512_FP16 nor AMX: LibTorch emulates"
                                + " 16-bit arithmetic, so 16-bit training is slower than fp32"),
                List.of(
                        "bf16-mixed or 16-mixed to check that a model trains in 16 bits before"
                                + " moving it to a GPU"));
    }
}

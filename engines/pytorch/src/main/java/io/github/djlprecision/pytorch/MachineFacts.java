package io.github.djlprecision.pytorch;

import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a precision choice depends on in a machine: the CPU's instruction-set flags (as Linux's
 * {@code /proc/cpuinfo} names them, e.g. {@code avx512_bf16}, {@code amx_bf16}) and the CUDA
 * compute capability of every visible GPU (as DJL's {@link CudaUtils#getComputeCapability(int)}
 * spells it: {@code 90} for 9.0).
 *
 * @param cpuModel the CPU's model name, or {@code "unknown"}
 * @param cpuFlags the CPU's flags, lower case; empty where they cannot be read
 * @param gpuCapabilities the compute capability of each visible GPU, in device order (major x 10
 *     + minor); empty without a GPU or a CUDA runtime
 */
public record MachineFacts(String cpuModel, Set<String> cpuFlags, List<Integer> gpuCapabilities) {

    /** Copies the collections so that the facts cannot change afterwards. */
    public MachineFacts {
        cpuFlags = Set.copyOf(cpuFlags);
        gpuCapabilities = List.copyOf(gpuCapabilities);
    }

    /**
     * Reads this machine: {@code /proc/cpuinfo} for the CPU, and DJL's {@link CudaUtils} (the
     * CUDA runtime through JNA; no LibTorch is loaded) for the GPUs.
     *
     * @return the facts of the machine this JVM runs on
     */
    public static MachineFacts detect() {
        String cpuinfo;
        try {
            cpuinfo = Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            cpuinfo = "";
        }
        List<Integer> capabilities = new ArrayList<>();
        int gpus = CudaUtils.getGpuCount();
        for (int i = 0; i < gpus; i++) {
            capabilities.add(Integer.parseInt(CudaUtils.getComputeCapability(i)));
        }
        return new MachineFacts(cpuModel(cpuinfo), cpuFlags(cpuinfo), capabilities);
    }

    /**
     * The flags of the first processor listed in a {@code /proc/cpuinfo} text.
     *
     * @param cpuinfo the text of {@code /proc/cpuinfo}
     * @return its {@code flags} line's words, lower case; empty if it has none
     */
    public static Set<String> cpuFlags(String cpuinfo) {
        String flags = field(cpuinfo, "flags");
        Set<String> set = new TreeSet<>();
        for (String flag : flags.split("\\s+")) {
            if (!flag.isEmpty()) {
                set.add(flag.toLowerCase(Locale.ROOT));
            }
        }
        return set;
    }

    static String cpuModel(String cpuinfo) {
        String model = field(cpuinfo, "model name");
        return model.isEmpty() ? "unknown" : model;
    }

    private static String field(String cpuinfo, String name) {
        for (String line : cpuinfo.split("\\R")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals(name)) {
                return line.substring(colon + 1).strip();
            }
        }
        return "";
    }

    /**
     * Whether the CPU has hardware bfloat16 arithmetic that oneDNN uses: AVX512_BF16 or AMX-BF16.
     *
     * @return true with {@code avx512_bf16} or {@code amx_bf16} among the flags
     */
    public boolean cpuHasBfloat16() {
        return cpuFlags.contains("avx512_bf16") || cpuFlags.contains("amx_bf16");
    }

    /**
     * Whether the CPU has hardware float16 arithmetic that oneDNN uses: AVX512_FP16 or AMX-FP16.
     *
     * @return true with {@code avx512_fp16} or {@code amx_fp16} among the flags
     */
    public boolean cpuHasFloat16() {
        return cpuFlags.contains("avx512_fp16") || cpuFlags.contains("amx_fp16");
    }
}

package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.util.cuda.CudaUtils;

import io.github.djlprecision.spi.PrecisionPluginProvider;
import io.github.djlprecision.spi.PrecisionPlugins;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The machine a report was made on, so that reports from different machines can be compared.
 *
 * @param time when the report was made
 * @param os operating system and architecture
 * @param java the Java runtime
 * @param cpuModel the CPU model from {@code /proc/cpuinfo}
 * @param cores the processors available to the JVM
 * @param memoryBytes total memory from {@code /proc/meminfo}, or -1
 * @param cpuFlags every CPU flag from {@code /proc/cpuinfo}
 * @param gpus one line per CUDA GPU, empty when there is none
 * @param engines each DJL engine on the class path and its native version
 * @param djlVersion DJL's version
 * @param projectVersion djl-precision's version
 * @param providers each precision plugin provider and the precisions it serves
 */
public record MachineInfo(
        Instant time,
        String os,
        String java,
        String cpuModel,
        int cores,
        long memoryBytes,
        List<String> cpuFlags,
        List<String> gpus,
        Map<String, String> engines,
        String djlVersion,
        String projectVersion,
        Map<String, String> providers) {

    /** CPU features that decide whether 16-bit arithmetic is native or emulated. */
    public static final List<String> PRECISION_FLAGS =
            List.of(
                    "avx",
                    "avx2",
                    "fma",
                    "f16c",
                    "avx_vnni",
                    "avx512f",
                    "avx512_vnni",
                    "avx512_bf16",
                    "avx512_fp16",
                    "amx_tile",
                    "amx_bf16",
                    "amx_fp16");

    /**
     * Describes this machine.
     *
     * @return the description
     */
    public static MachineInfo collect() {
        // asking engines for their versions loads them: set the process up for the matrix first
        EngineSetup.prepareProcess();
        Map<String, String> cpu = firstProcessor();
        Map<String, String> engines = new LinkedHashMap<>();
        for (String name : new TreeSet<>(Engine.getAllEngines())) {
            try {
                engines.put(name, Engine.getEngine(name).getVersion());
            } catch (EngineException | LinkageError e) {
                // e.g. TensorFlow's natives missing offline: the report says so, the run goes on
                engines.put(name, "not loaded (" + e.getMessage() + ")");
            }
        }
        Map<String, String> providers = new LinkedHashMap<>();
        for (PrecisionPluginProvider provider : PrecisionPlugins.providers()) {
            providers.put(
                    provider.getName(),
                    provider.getPrecisions().stream()
                            .map(Object::toString)
                            .sorted()
                            .collect(Collectors.joining(", ")));
        }
        return new MachineInfo(
                Instant.now(),
                System.getProperty("os.name")
                        + " "
                        + System.getProperty("os.version")
                        + " ("
                        + System.getProperty("os.arch")
                        + ")",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                cpu.getOrDefault("model name", "unknown"),
                Runtime.getRuntime().availableProcessors(),
                memTotal(),
                Arrays.asList(cpu.getOrDefault("flags", "").split("\\s+")),
                listGpus(),
                engines,
                Engine.getDjlVersion(),
                readProjectVersion(),
                providers);
    }

    /**
     * Returns which of {@link #PRECISION_FLAGS} this CPU has.
     *
     * @return e.g. {@code "avx2 f16c; absent: avx512f amx_bf16 ..."}
     */
    public String precisionFlags() {
        String present =
                PRECISION_FLAGS.stream()
                        .filter(cpuFlags::contains)
                        .collect(Collectors.joining(" "));
        String absent =
                PRECISION_FLAGS.stream()
                        .filter(f -> !cpuFlags.contains(f))
                        .collect(Collectors.joining(" "));
        return (present.isEmpty() ? "none" : present)
                + (absent.isEmpty() ? "" : "; absent: " + absent);
    }

    private static Map<String, String> firstProcessor() {
        Map<String, String> fields = new LinkedHashMap<>();
        Path cpuinfo = Paths.get("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return fields;
        }
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.isBlank() && !fields.isEmpty()) {
                    break;
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.putIfAbsent(
                            line.substring(0, colon).strip(), line.substring(colon + 1).strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fields;
    }

    private static long memTotal() {
        Path meminfo = Paths.get("/proc/meminfo");
        if (!Files.isReadable(meminfo)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return -1;
    }

    private static List<String> listGpus() {
        List<String> gpus = new ArrayList<>();
        // asking CUDA on a machine whose engines see no GPU only logs driver warnings
        if (CompatMatrix.computeEngines().stream()
                        .allMatch(e -> Engine.getEngine(e).getGpuCount() == 0)
                || !CudaUtils.hasCuda()) {
            return gpus;
        }
        for (int i = 0; i < CudaUtils.getGpuCount(); i++) {
            MemoryUsage memory = CudaUtils.getGpuMemory(Device.gpu(i));
            gpus.add(
                    String.format(
                            "gpu(%d): compute capability %s, %d MiB, CUDA %s",
                            i,
                            CudaUtils.getComputeCapability(i),
                            memory.getMax() >> 20,
                            CudaUtils.getCudaVersionString()));
        }
        return gpus;
    }

    private static String readProjectVersion() {
        try (InputStream in = MachineInfo.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

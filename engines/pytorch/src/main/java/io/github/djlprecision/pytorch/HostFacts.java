package io.github.djlprecision.pytorch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the operating system tells about the CPU, as the JVM sees it: model, instruction-set flags
 * and the cache topology under {@code /sys/devices/system/cpu/cpu0/cache/}. Sandboxed and
 * virtualised CPUs (gVisor, some hypervisors) may hide the cache topology; oneDNN then computes
 * some blockings from cache sizes of zero. Uses the JDK only, so CI can print it before the build:
 * {@code java engines/pytorch/src/main/java/io/github/djlprecision/pytorch/HostFacts.java}.
 *
 * @param cpuModel the {@code model name} line of {@code /proc/cpuinfo}, or {@code "unknown"}
 * @param flags the CPU's {@code flags} from {@code /proc/cpuinfo}, e.g. {@code avx512_bf16}
 * @param caches the first CPU's caches, e.g. {@code "L1d 32K"}; empty when the host hides them
 */
public record HostFacts(String cpuModel, Set<String> flags, List<String> caches) {

    private static final Path CPU_INFO = Path.of("/proc/cpuinfo");
    private static final Path CACHES = Path.of("/sys/devices/system/cpu/cpu0/cache");

    /** Copies the collections, so that recorded facts cannot change. */
    public HostFacts {
        flags = Collections.unmodifiableSet(new TreeSet<>(flags));
        caches = List.copyOf(caches);
    }

    /**
     * Reads this host's facts; a file the OS does not have counts as empty.
     *
     * @return the facts
     */
    public static HostFacts read() {
        List<String> cpuInfo = lines(CPU_INFO);
        String model = field(cpuInfo, "model name");
        String flags = field(cpuInfo, "flags");
        return new HostFacts(
                model == null ? "unknown" : model,
                flags == null ? Set.of() : new TreeSet<>(Arrays.asList(flags.split("\\s+"))),
                readCaches());
    }

    /**
     * Returns whether the OS shows the CPU's cache topology.
     *
     * @return false on a host without {@code /sys/devices/system/cpu/cpu0/cache/} entries
     */
    public boolean showsCacheTopology() {
        return !caches.isEmpty();
    }

    /**
     * Describes the facts in one line, e.g. for a log or a failure message.
     *
     * @return CPU model, the vector ISA flags and the caches
     */
    public String describe() {
        String isa =
                flags.stream()
                        .filter(f -> f.startsWith("avx") || f.startsWith("amx") || f.equals("fma"))
                        .collect(Collectors.joining(" "));
        return "CPU "
                + cpuModel
                + "; ISA: "
                + (isa.isEmpty() ? "no AVX" : isa)
                + "; caches: "
                + (caches.isEmpty()
                        ? "none shown (no " + CACHES + " entries)"
                        : String.join(", ", caches));
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * Prints this host's facts, e.g. at the start of a CI log.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.out.println("Host facts: " + read().describe());
    }

    private static List<String> readCaches() {
        if (!Files.isDirectory(CACHES)) {
            return List.of();
        }
        List<String> caches = new ArrayList<>();
        try (Stream<Path> entries = Files.list(CACHES)) {
            for (Path index :
                    entries.filter(p -> p.getFileName().toString().startsWith("index"))
                            .sorted()
                            .collect(Collectors.toList())) {
                String level = first(index.resolve("level"));
                String type = first(index.resolve("type"));
                String size = first(index.resolve("size"));
                if (level != null && size != null) {
                    caches.add("L" + level + suffix(type) + " " + size);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
        return caches;
    }

    private static String suffix(String type) {
        if (type == null) {
            return "";
        }
        switch (type.toLowerCase(Locale.ROOT)) {
            case "data":
                return "d";
            case "instruction":
                return "i";
            default:
                return "";
        }
    }

    private static String field(List<String> cpuInfo, String name) {
        for (String line : cpuInfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static String first(Path file) {
        List<String> lines = lines(file);
        return lines.isEmpty() ? null : lines.get(0).trim();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException | UncheckedIOException | SecurityException e) {
            return List.of();
        }
    }
}

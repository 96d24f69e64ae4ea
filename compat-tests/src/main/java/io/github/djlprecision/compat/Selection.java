package io.github.djlprecision.compat;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which cells to run: a subset of engines, precision variants and device types. An empty set
 * selects everything along that axis.
 *
 * @param engines engine names (case-insensitive), e.g. {@code PyTorch}
 * @param variants precision labels, e.g. {@code 16-mixed} or {@code 16-mixed/O2}
 * @param deviceTypes {@code cpu} and/or {@code gpu}
 */
public record Selection(Set<String> engines, Set<String> variants, Set<String> deviceTypes) {

    /** System property for {@link #fromSystemProperties()}: comma-separated engine names. */
    public static final String ENGINES_PROPERTY = "compat.engines";

    /** System property for {@link #fromSystemProperties()}: comma-separated precision labels. */
    public static final String PRECISIONS_PROPERTY = "compat.precisions";

    /** System property for {@link #fromSystemProperties()}: comma-separated device types. */
    public static final String DEVICES_PROPERTY = "compat.devices";

    /**
     * Normalises the sets (lower-case engines and devices) and checks every precision label.
     *
     * @param engines engine names
     * @param variants precision labels
     * @param deviceTypes device types
     */
    public Selection {
        engines = lower(engines);
        variants = Set.copyOf(variants);
        variants.forEach(PrecisionVariant::parse);
        deviceTypes = lower(deviceTypes);
    }

    /**
     * Selects every cell.
     *
     * @return the selection
     */
    public static Selection all() {
        return new Selection(Set.of(), Set.of(), Set.of());
    }

    /**
     * Parses comma-separated lists; {@code null}, blank or {@code all} selects everything.
     *
     * @param engines e.g. {@code "PyTorch"}
     * @param precisions e.g. {@code "32-true,16-mixed/O2"}
     * @param devices e.g. {@code "cpu"}
     * @return the selection
     * @throws IllegalArgumentException for an unknown precision label
     */
    public static Selection parse(String engines, String precisions, String devices) {
        return new Selection(list(engines), list(precisions), list(devices));
    }

    /**
     * Reads the selection from the system properties {@value #ENGINES_PROPERTY}, {@value
     * #PRECISIONS_PROPERTY} and {@value #DEVICES_PROPERTY}, e.g. {@code mvn test
     * -Dcompat.precisions=16-mixed}.
     *
     * @return the selection
     */
    public static Selection fromSystemProperties() {
        return parse(
                System.getProperty(ENGINES_PROPERTY),
                System.getProperty(PRECISIONS_PROPERTY),
                System.getProperty(DEVICES_PROPERTY));
    }

    /**
     * Returns whether a cell is selected.
     *
     * @param cell the cell
     * @return true if every axis selects it
     */
    public boolean includes(MatrixCell cell) {
        return includesEngine(cell.engine())
                && (variants.isEmpty() || variants.contains(cell.variant().label()))
                && (deviceTypes.isEmpty() || deviceTypes.contains(cell.deviceType()));
    }

    /**
     * Returns whether an engine is selected.
     *
     * @param engine the engine's name
     * @return true if the engine axis selects it
     */
    public boolean includesEngine(String engine) {
        return engines.isEmpty() || engines.contains(engine.toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return "engines "
                + show(engines)
                + ", precisions "
                + show(variants)
                + ", devices "
                + show(deviceTypes);
    }

    private static String show(Set<String> values) {
        return values.isEmpty() ? "all" : values.stream().sorted().collect(Collectors.joining(","));
    }

    private static Set<String> list(String value) {
        if (value == null || value.isBlank() || value.strip().equalsIgnoreCase("all")) {
            return Set.of();
        }
        return Arrays.stream(value.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }

    private static Set<String> lower(Set<String> values) {
        return values.stream()
                .map(v -> v.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }
}

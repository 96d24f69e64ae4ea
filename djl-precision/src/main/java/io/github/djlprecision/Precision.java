package io.github.djlprecision;

import ai.djl.ndarray.types.DataType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The precision a model trains or runs in, named as PyTorch Lightning names it.
 *
 * <p>{@code *-true} modes keep parameters, activations and gradients in one data type; {@code
 * *-mixed} modes keep fp32 parameters and run eligible operations in 16 bits.
 *
 * <p>The set is open: the constants below are Lightning's values, and a {@link
 * PrecisionContributor} on the class path adds others (say fp8 on Hopper GPUs), each built once
 * with {@link #builder(String)} and carrying what the rest of the project reads of a precision:
 * its value and aliases, compute and parameter types, whether it scales the loss, and which
 * precisions it is a faster, less safe alternative to. Values compare by their {@link #value()};
 * each exists once, so {@code ==} against a constant works as it did when this was an enum.
 */
public final class Precision {

    /** Everything in float64. */
    public static final Precision DOUBLE_TRUE =
            builtIn("DOUBLE_TRUE", "64-true", DataType.FLOAT64, DataType.FLOAT64, false, null, "64");

    /** Everything in float32: the default, and the reference every other mode is compared to. */
    public static final Precision FLOAT_TRUE =
            builtIn("FLOAT_TRUE", "32-true", DataType.FLOAT32, DataType.FLOAT32, false, null, "32");

    // what each 16-bit mode may fall back to when in numerical trouble (the precision circuit
    // breaker's ladder): fp16's range fails first; bf16 has fp32's range but not its precision

    /** fp32 parameters, float16 compute where safe, dynamic loss scaling. */
    public static final Precision HALF_MIXED =
            builtIn("HALF_MIXED", "16-mixed", DataType.FLOAT16, DataType.FLOAT32, true, "bf16-mixed", "16");

    /** fp32 parameters, bfloat16 compute where safe, no loss scaling. */
    public static final Precision BF16_MIXED =
            builtIn("BF16_MIXED", "bf16-mixed", DataType.BFLOAT16, DataType.FLOAT32, false, "32-true", "bf16");

    /** Parameters, activations and gradients all in float16. */
    public static final Precision HALF_TRUE =
            builtIn("HALF_TRUE", "16-true", DataType.FLOAT16, DataType.FLOAT16, false, "32-true");

    /** Parameters, activations and gradients all in bfloat16. */
    public static final Precision BF16_TRUE =
            builtIn("BF16_TRUE", "bf16-true", DataType.BFLOAT16, DataType.BFLOAT16, false, "32-true");

    private static final List<Precision> BUILT_IN =
            List.of(DOUBLE_TRUE, FLOAT_TRUE, HALF_MIXED, BF16_MIXED, HALF_TRUE, BF16_TRUE);

    private static final Logger logger = LoggerFactory.getLogger(Precision.class);

    /** Legacy values already warned about: a config parsed per trainer would repeat the warning. */
    private static final Set<String> WARNED_LEGACY = ConcurrentHashMap.newKeySet();

    /** The contributed precisions, loaded on first need; null until then. */
    private static volatile List<Precision> contributed;

    /** True while the contributors run, so that one of them parsing a value does not recurse. */
    private static boolean loading;

    private final String name;
    private final String value;
    private final List<String> aliases;
    private final boolean legacyAliases;
    private final DataType computeType;
    private final DataType parameterType;
    private final boolean lossScaling;
    private final List<String> fasterThan;
    private final List<String> saferThan;

    private Precision(Builder builder, String name, boolean legacyAliases) {
        this.name = name;
        value = builder.value;
        aliases = List.copyOf(builder.aliases);
        this.legacyAliases = legacyAliases;
        computeType = builder.computeType;
        parameterType = builder.parameterType == null ? computeType : builder.parameterType;
        lossScaling = builder.lossScaling;
        fasterThan = List.copyOf(builder.fasterThan);
        saferThan = List.copyOf(builder.saferThan);
    }

    private static Precision builtIn(
            String name,
            String value,
            DataType computeType,
            DataType parameterType,
            boolean lossScaling,
            String fasterThan,
            String... legacy) {
        Builder builder =
                builder(value)
                        .setComputeType(computeType)
                        .optParameterType(parameterType)
                        .optLossScaling(lossScaling)
                        .optAliases(legacy);
        if (fasterThan != null) {
            builder.optFasterThan(fasterThan);
        }
        return new Precision(builder, name, true);
    }

    /**
     * Returns a builder for a precision a {@link PrecisionContributor} adds. Build each value once
     * (a constant), and return it from the contributor and from the plugin provider that serves it.
     *
     * @param value the value users write, e.g. {@code "fp8-mixed"}: not blank, no whitespace
     * @return a new builder
     * @throws IllegalArgumentException for a blank value or one with whitespace
     */
    public static Builder builder(String value) {
        return new Builder(value);
    }

    /**
     * Parses a precision value such as {@code "16-mixed"}, or an alias: Lightning's legacy values
     * {@code 16}, {@code 32}, {@code 64} and {@code bf16} with a deprecation warning (logged once
     * per value and process), or a contributed precision's aliases.
     *
     * @param value the value, exactly as Lightning spells it (case-sensitive)
     * @return the precision
     * @throws IllegalArgumentException naming the value and listing the accepted ones
     */
    public static Precision parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    "Precision must not be " + (value == null ? "null" : "blank") + ". " + accepted());
        }
        Precision[] all = values();
        for (Precision precision : all) {
            if (precision.value.equals(value)) {
                return precision;
            }
        }
        for (Precision precision : all) {
            if (precision.aliases.contains(value)) {
                if (precision.legacyAliases && WARNED_LEGACY.add(value)) {
                    logger.warn(
                            "Precision '{}' is supported for historical reasons but its usage is"
                                    + " discouraged. Please set your precision to '{}' instead!",
                            value,
                            precision.value);
                }
                return precision;
            }
        }
        String hint = "";
        for (Precision precision : all) {
            if (precision.value.equalsIgnoreCase(value.strip())) {
                hint = " Did you mean '" + precision.value + "'? Values are case-sensitive.";
            }
        }
        throw new IllegalArgumentException(
                "Unknown precision '" + value + "'." + hint + " " + accepted());
    }

    /**
     * Returns every precision: Lightning's, in the order they are declared here, then those the
     * {@link PrecisionContributor}s on the class path add, in the order they are found.
     *
     * @return a new array of the precisions
     * @throws IllegalStateException if two precisions claim the same value or alias
     */
    public static Precision[] values() {
        List<Precision> all = new ArrayList<>(BUILT_IN);
        all.addAll(contributed());
        return all.toArray(new Precision[0]);
    }

    /**
     * Returns the precision of a constant name, as an enum's {@code valueOf} does: {@code
     * "HALF_MIXED"} for {@link #HALF_MIXED}; a contributed precision's name is its value in upper
     * case with every other character than a letter or digit as {@code _}.
     *
     * @param name the constant name
     * @return the precision
     * @throws IllegalArgumentException if no precision has that name
     */
    public static Precision valueOf(String name) {
        for (Precision precision : values()) {
            if (precision.name.equals(name)) {
                return precision;
            }
        }
        throw new IllegalArgumentException(
                "No precision is named "
                        + name
                        + "; names: "
                        + Arrays.stream(values()).map(p -> p.name).collect(Collectors.joining(", "))
                        + ". To parse a value such as '16-mixed', use Precision.parse.");
    }

    private static String accepted() {
        String legacy =
                BUILT_IN.stream()
                        .flatMap(p -> p.aliases.stream())
                        .collect(Collectors.joining(", "));
        return "Accepted values: "
                + Arrays.stream(values()).map(p -> p.value).collect(Collectors.joining(", "))
                + " (legacy, deprecated: "
                + legacy
                + ").";
    }

    private static List<Precision> contributed() {
        List<Precision> loaded = contributed;
        if (loaded != null) {
            return loaded;
        }
        synchronized (Precision.class) {
            if (contributed != null) {
                return contributed;
            }
            if (loading) {
                return List.of();
            }
            loading = true;
            try {
                contributed = load();
            } finally {
                loading = false;
            }
            return contributed;
        }
    }

    /** Every contributed precision once, checked against the others' values and aliases. */
    private static List<Precision> load() {
        Map<String, String> claimed = new LinkedHashMap<>();
        for (Precision precision : BUILT_IN) {
            claim(claimed, precision, "djl-precision");
        }
        List<Precision> found = new ArrayList<>();
        for (PrecisionContributor contributor : ServiceLoader.load(PrecisionContributor.class)) {
            for (Precision precision : contributor.getPrecisions()) {
                if (BUILT_IN.contains(precision) || found.contains(precision)) {
                    continue;
                }
                claim(claimed, precision, contributor.getClass().getName());
                found.add(precision);
            }
        }
        return List.copyOf(found);
    }

    private static void claim(Map<String, String> claimed, Precision precision, String by) {
        List<String> names = new ArrayList<>(precision.aliases);
        names.add(0, precision.value);
        for (String name : names) {
            String earlier = claimed.putIfAbsent(name, by);
            if (earlier != null) {
                throw new IllegalStateException(
                        "Precision value or alias '"
                                + name
                                + "' is claimed by both "
                                + earlier
                                + " and "
                                + by
                                + "; remove one of them from the class path or rename its"
                                + " precision.");
            }
        }
    }

    /**
     * Returns the constant name, as an enum's {@code name()} does, e.g. {@code "HALF_MIXED"}.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the value as Lightning spells it, e.g. {@code "bf16-mixed"}.
     *
     * @return the value
     */
    public String value() {
        return value;
    }

    /**
     * Returns the other spellings {@link #parse} accepts for this precision: Lightning's legacy
     * values ({@code "16"} for {@code 16-mixed}), or a contributed precision's aliases.
     *
     * @return the aliases; empty if none
     */
    public List<String> aliases() {
        return aliases;
    }

    /**
     * Returns the data type eligible operations compute in.
     *
     * @return the compute data type
     */
    public DataType computeType() {
        return computeType;
    }

    /**
     * Returns the data type parameters are held in.
     *
     * @return the parameter data type
     */
    public DataType parameterType() {
        return parameterType;
    }

    /**
     * Returns whether this mode keeps parameters in a wider type than it computes in (fp32
     * parameters, 16-bit compute).
     *
     * @return true for the {@code *-mixed} modes
     */
    public boolean isMixed() {
        return parameterType != computeType;
    }

    /**
     * Returns whether this mode computes in bfloat16.
     *
     * @return true for {@code bf16-mixed} and {@code bf16-true}
     */
    public boolean isBfloat16() {
        return computeType == DataType.BFLOAT16;
    }

    /**
     * Returns whether this mode needs dynamic loss scaling to keep its gradients from underflowing
     * (torch's {@code GradScaler}).
     *
     * @return true for {@code 16-mixed}
     */
    public boolean usesLossScaling() {
        return lossScaling;
    }

    /**
     * Returns the precisions a run in this one may fall back to when it is in numerical trouble,
     * nearest first: those it was declared faster than ({@link Builder#optFasterThan}), those
     * declared safer than it ({@link Builder#optSaferThan}), then theirs in turn. For {@code
     * 16-mixed}: {@code bf16-mixed}, then {@code 32-true}. Values no precision on the class path
     * has are left out.
     *
     * @return the safer precisions; empty for {@code 32-true} and {@code 64-true}
     */
    public List<Precision> saferAlternatives() {
        Precision[] all = values();
        Set<Precision> seen = new LinkedHashSet<>();
        Deque<Precision> next = new ArrayDeque<>(List.of(this));
        while (!next.isEmpty()) {
            Precision current = next.poll();
            for (Precision safer : current.directlySafer(all)) {
                if (safer != this && seen.add(safer)) {
                    next.add(safer);
                }
            }
        }
        return List.copyOf(seen);
    }

    private List<Precision> directlySafer(Precision[] all) {
        List<Precision> safer = new ArrayList<>();
        for (String declared : fasterThan) {
            Arrays.stream(all).filter(p -> p.value.equals(declared)).forEach(safer::add);
        }
        for (Precision other : all) {
            if (other.saferThan.contains(value) && !safer.contains(other)) {
                safer.add(other);
            }
        }
        return safer;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Precision && ((Precision) other).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }

    /** Builds a {@link Precision} a {@link PrecisionContributor} adds. */
    public static final class Builder {

        private final String value;
        private final List<String> aliases = new ArrayList<>();
        private DataType computeType;
        private DataType parameterType;
        private boolean lossScaling;
        private final List<String> fasterThan = new ArrayList<>();
        private final List<String> saferThan = new ArrayList<>();

        private Builder(String value) {
            this.value = checkedValue(value, "value");
        }

        private static String checkedValue(String value, String what) {
            if (value == null || value.isBlank() || !value.equals(value.replaceAll("\\s", ""))) {
                throw new IllegalArgumentException(
                        "A precision "
                                + what
                                + " must be non-blank without whitespace, e.g. 'fp8-mixed'; got "
                                + (value == null ? "null" : "'" + value + "'")
                                + ".");
            }
            return value;
        }

        /**
         * Sets the data type eligible operations compute in; required.
         *
         * @param computeType e.g. {@link DataType#FLOAT16}
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder setComputeType(DataType computeType) {
            if (computeType == null) {
                throw new IllegalArgumentException("The compute type must not be null.");
            }
            this.computeType = computeType;
            return this;
        }

        /**
         * Sets the data type parameters are held in: the compute type unless set (a {@code *-true}
         * mode); {@link DataType#FLOAT32} for a mixed mode.
         *
         * @param parameterType the parameter type
         * @return this builder
         * @throws IllegalArgumentException if it is null
         */
        public Builder optParameterType(DataType parameterType) {
            if (parameterType == null) {
                throw new IllegalArgumentException("The parameter type must not be null.");
            }
            this.parameterType = parameterType;
            return this;
        }

        /**
         * Sets whether the mode scales the loss (torch's {@code GradScaler}); false unless set.
         *
         * @param lossScaling true if gradients would underflow without it
         * @return this builder
         */
        public Builder optLossScaling(boolean lossScaling) {
            this.lossScaling = lossScaling;
            return this;
        }

        /**
         * Adds other spellings {@link Precision#parse} accepts.
         *
         * @param aliases e.g. {@code "fp8"}
         * @return this builder
         * @throws IllegalArgumentException for a blank alias or one with whitespace
         */
        public Builder optAliases(String... aliases) {
            for (String alias : aliases) {
                this.aliases.add(checkedValue(alias, "alias"));
            }
            return this;
        }

        /**
         * Declares the precisions this one is a faster, less safe alternative to, nearest first: a
         * run in trouble may fall back to them (the precision circuit breaker's ladder).
         *
         * @param values precision values, e.g. {@code "bf16-mixed"}
         * @return this builder
         */
        public Builder optFasterThan(String... values) {
            for (String other : values) {
                fasterThan.add(checkedValue(other, "value"));
            }
            return this;
        }

        /**
         * Declares the precisions this one is a safer, slower alternative to: a run in one of them
         * that is in trouble may fall back to this one.
         *
         * @param values precision values, e.g. {@code "16-mixed"}
         * @return this builder
         */
        public Builder optSaferThan(String... values) {
            for (String other : values) {
                saferThan.add(checkedValue(other, "value"));
            }
            return this;
        }

        /**
         * Builds the precision.
         *
         * @return the precision; its {@link Precision#name()} is its value in upper case, every
         *     character but letters and digits as {@code _}
         * @throws IllegalArgumentException if no compute type was set
         */
        public Precision build() {
            if (computeType == null) {
                throw new IllegalArgumentException(
                        "Precision '" + value + "' needs a compute type: call setComputeType.");
            }
            String name = value.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
            return new Precision(this, name, false);
        }
    }
}

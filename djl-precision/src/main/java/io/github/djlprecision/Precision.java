package io.github.djlprecision;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Map;
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
 */
public enum Precision {
    /** Everything in float64. */
    DOUBLE_TRUE("64-true", DataType.FLOAT64, false),
    /** Everything in float32: the default, and the reference every other mode is compared to. */
    FLOAT_TRUE("32-true", DataType.FLOAT32, false),
    /** fp32 parameters, float16 compute where safe, dynamic loss scaling. */
    HALF_MIXED("16-mixed", DataType.FLOAT16, true),
    /** fp32 parameters, bfloat16 compute where safe, no loss scaling. */
    BF16_MIXED("bf16-mixed", DataType.BFLOAT16, true),
    /** Parameters, activations and gradients all in float16. */
    HALF_TRUE("16-true", DataType.FLOAT16, false),
    /** Parameters, activations and gradients all in bfloat16. */
    BF16_TRUE("bf16-true", DataType.BFLOAT16, false);

    private static final Logger logger = LoggerFactory.getLogger(Precision.class);

    /** Values Lightning still accepts but no longer names; each maps to its current name. */
    private static final Map<String, Precision> LEGACY =
            Map.of("16", HALF_MIXED, "bf16", BF16_MIXED, "32", FLOAT_TRUE, "64", DOUBLE_TRUE);

    /** Legacy values already warned about: a config parsed per trainer would repeat the warning. */
    private static final Set<String> WARNED_LEGACY = ConcurrentHashMap.newKeySet();

    private final String value;
    private final DataType computeType;
    private final boolean mixed;

    Precision(String value, DataType computeType, boolean mixed) {
        this.value = value;
        this.computeType = computeType;
        this.mixed = mixed;
    }

    /**
     * Parses a precision value such as {@code "16-mixed"}, also accepting the legacy values
     * {@code 16}, {@code 32}, {@code 64} and {@code bf16} with a deprecation warning, logged once
     * per value and process.
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
        for (Precision precision : values()) {
            if (precision.value.equals(value)) {
                return precision;
            }
        }
        Precision legacy = LEGACY.get(value);
        if (legacy != null) {
            if (WARNED_LEGACY.add(value)) {
                logger.warn(
                        "Precision '{}' is supported for historical reasons but its usage is"
                                + " discouraged. Please set your precision to '{}' instead!",
                        value,
                        legacy.value);
            }
            return legacy;
        }
        String hint = "";
        for (Precision precision : values()) {
            if (precision.value.equalsIgnoreCase(value.strip())) {
                hint = " Did you mean '" + precision.value + "'? Values are case-sensitive.";
            }
        }
        throw new IllegalArgumentException(
                "Unknown precision '" + value + "'." + hint + " " + accepted());
    }

    private static String accepted() {
        return "Accepted values: "
                + Arrays.stream(values()).map(p -> p.value).collect(Collectors.joining(", "))
                + " (legacy, deprecated: 16, bf16, 32, 64).";
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
        return mixed ? DataType.FLOAT32 : computeType;
    }

    /**
     * Returns whether this mode keeps fp32 parameters and computes in 16 bits.
     *
     * @return true for the {@code *-mixed} modes
     */
    public boolean isMixed() {
        return mixed;
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
     * Returns whether this mode needs dynamic loss scaling to keep float16 gradients from
     * underflowing.
     *
     * @return true for {@code 16-mixed}
     */
    public boolean usesLossScaling() {
        return this == HALF_MIXED;
    }

    @Override
    public String toString() {
        return value;
    }
}

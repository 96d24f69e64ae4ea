package io.github.djlprecision;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * NVIDIA Apex's optimization levels, offered as Lightning's {@code amp_level} for the fallback
 * path. Only valid together with {@link Precision#HALF_MIXED}.
 */
public enum AmpLevel {
    /** Pure fp32: a baseline. */
    O0,
    /** Per-operation autocast with fp32 weights: the same as native {@code 16-mixed}. */
    O1,
    /** fp16 working copies of the weights, fp32 master weights, fp32 norm layers, loss scaling. */
    O2,
    /** Pure fp16: a speed baseline, usually unstable. */
    O3;

    /**
     * Parses {@code O0}..{@code O3}.
     *
     * @param value the level, a capital letter O and a digit
     * @return the level
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static AmpLevel parse(String value) {
        if (value != null) {
            for (AmpLevel level : values()) {
                if (level.name().equals(value)) {
                    return level;
                }
            }
        }
        throw new IllegalArgumentException(
                "Unknown amp_level '"
                        + value
                        + "'. Accepted values: "
                        + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "))
                        + " (capital letter O, then a digit).");
    }
}

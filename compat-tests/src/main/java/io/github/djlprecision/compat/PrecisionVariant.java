package io.github.djlprecision.compat;

import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;

import io.github.djlprecision.AmpLevel;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * One column of the matrix: a Lightning precision value, or {@code 16-mixed} with an Apex level. It
 * also says what a run in this variant must show, whatever engine runs it: the data types of
 * parameters, compute and outputs, and whether dynamic loss scaling is in effect.
 *
 * @param precision the precision
 * @param ampLevel the Apex level, or null for the native recipe
 */
public record PrecisionVariant(Precision precision, AmpLevel ampLevel) {

    /**
     * Checks that an Apex level only comes with {@code 16-mixed}, as {@link PrecisionConfig} does.
     *
     * @param precision the precision
     * @param ampLevel the Apex level, or null
     */
    public PrecisionVariant {
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null");
        }
        if (ampLevel != null && precision != Precision.HALF_MIXED) {
            throw new IllegalArgumentException(
                    "Apex levels only apply to 16-mixed, not " + precision);
        }
    }

    /**
     * Returns every variant: each precision value on the class path ({@link Precision#values()},
     * contributed ones included), the {@code 32-true} reference first and fp64 last, then {@code
     * 16-mixed} with each Apex level.
     *
     * @return the variants, in the order the report shows them
     */
    public static List<PrecisionVariant> all() {
        List<PrecisionVariant> all = new ArrayList<>();
        List<Precision> precisions = new ArrayList<>(List.of(Precision.values()));
        precisions.sort(Comparator.comparingInt(PrecisionVariant::columnOrder));
        for (Precision precision : precisions) {
            all.add(new PrecisionVariant(precision, null));
        }
        for (AmpLevel level : AmpLevel.values()) {
            all.add(new PrecisionVariant(Precision.HALF_MIXED, level));
        }
        return all;
    }

    /** The reference first, fp64 last, every other precision in between as declared. */
    private static int columnOrder(Precision precision) {
        if (precision == Precision.FLOAT_TRUE) {
            return 0;
        }
        return precision.computeType() == DataType.FLOAT64 ? 2 : 1;
    }

    /**
     * Parses a label as {@link #label()} writes it, e.g. {@code "bf16-mixed"} or {@code
     * "16-mixed/O2"}.
     *
     * @param label the label
     * @return the variant
     * @throws IllegalArgumentException for an unknown precision or level
     */
    public static PrecisionVariant parse(String label) {
        String[] parts = label.strip().split("/", 2);
        Precision precision = Precision.parse(parts[0]);
        return new PrecisionVariant(precision, parts.length == 2 ? AmpLevel.parse(parts[1]) : null);
    }

    /**
     * Returns the label the matrix and the expectation table use.
     *
     * @return e.g. {@code "16-mixed"} or {@code "16-mixed/O2"}
     */
    public String label() {
        return ampLevel == null ? precision.value() : precision.value() + "/" + ampLevel;
    }

    /**
     * Returns the precision settings a user would write for this variant.
     *
     * @param gradScaler the loss-scaling settings (used where the variant scales the loss)
     * @param pluginName the plugin provider to use, or null to pick by engine and precision
     * @return the settings
     */
    public PrecisionConfig config(GradScalerConfig gradScaler, String pluginName) {
        PrecisionConfig.Builder builder =
                PrecisionConfig.builder().optPrecision(precision).optGradScaler(gradScaler);
        if (pluginName != null) {
            builder.optPluginName(pluginName);
        }
        if (ampLevel != null) {
            builder.optAmpLevel(ampLevel.name());
        }
        return builder.build();
    }

    /**
     * Returns whether this is the {@code 32-true} reference every other variant is compared to.
     *
     * @return true for {@code 32-true}
     */
    public boolean isReference() {
        return precision == Precision.FLOAT_TRUE && ampLevel == null;
    }

    /**
     * Returns the type DJL's matrix-multiplying layers (Linear, Conv) must compute in.
     *
     * @return the compute type
     */
    public DataType computeType() {
        return ampLevel == AmpLevel.O0 ? DataType.FLOAT32 : precision.computeType();
    }

    /**
     * Returns whether every layer, not only the matrix-multiplying ones, computes in {@link
     * #computeType()}: true for the {@code *-true} modes, Apex O0 (pure fp32) and Apex O3 (pure
     * fp16).
     *
     * @return whether all layer outputs are in the compute type
     */
    public boolean computesEverythingInComputeType() {
        return ampLevel == null
                ? !precision.isMixed()
                : ampLevel == AmpLevel.O0 || ampLevel == AmpLevel.O3;
    }

    /**
     * Returns the data types a parameter of a block may be held in.
     *
     * @param owner the block that owns the parameter
     * @return the allowed types
     */
    public Set<DataType> parameterTypes(Block owner) {
        if (ampLevel == null) {
            return Set.of(precision.parameterType());
        }
        switch (ampLevel) {
            case O3:
                return Set.of(DataType.FLOAT16);
            default:
                // O0 and O1 keep fp32; O2 holds fp32 master weights as the parameters and computes
                // with fp16 working copies of them
                return Set.of(DataType.FLOAT32);
        }
    }

    /**
     * Returns the data types the trainer's outputs (what the loss sees) may have: fp64 for {@code
     * 64-true}, which keeps its outputs; fp32 for everything else, because the mixed modes and Apex
     * O2 hand the loss fp32, and the fp16 modes ({@code 16-true}, Apex O3) convert their fp16
     * outputs to fp32 so that the loss does not compute in fp16 (DJL's softmax would).
     *
     * @return the allowed output types
     */
    public Set<DataType> outputTypes() {
        if (computesEverythingInComputeType() && computeType() == DataType.FLOAT64) {
            return Set.of(DataType.FLOAT64);
        }
        return Set.of(DataType.FLOAT32);
    }

    /**
     * Returns whether dynamic loss scaling must be in effect: {@code 16-mixed} natively and with
     * Apex O1 and O2 (Apex O0 is fp32, O3 uses a static scale of 1).
     *
     * @return whether steps report a loss scale
     */
    public boolean usesLossScaling() {
        return precision.usesLossScaling()
                && (ampLevel == null || ampLevel == AmpLevel.O1 || ampLevel == AmpLevel.O2);
    }

    /**
     * Returns the default tolerance on the final loss against {@code 32-true}, as an absolute
     * difference. The 16-bit values cover a short training run's rounding drift; a broken cast,
     * scale or skipped update moves the loss far more (towards chance level or NaN).
     *
     * @return the tolerance
     */
    public double defaultLossTolerance() {
        if (computeType() == DataType.FLOAT32) {
            return 1e-4;
        }
        if (computeType() == DataType.FLOAT64) {
            // same starting weights, so fp64 differs from fp32 only by fp32's rounding (2^-24
            // relative) carried through the run: measured |diff| about 1e-7 on the MLP and
            // below 1e-4 on the LayerNorm example; 1e-3 leaves room for chaotic workloads, and a
            // wrong fp64 path (other weights, a lost update) moves the loss by 1e-2 or more
            return 1e-3;
        }
        boolean bf16 = computeType() == DataType.BFLOAT16;
        if (computesEverythingInComputeType()) {
            return bf16 ? 0.15 : 0.1;
        }
        return bf16 ? 0.06 : 0.05;
    }

    /**
     * Returns the default tolerance on the test accuracy against {@code 32-true}, as an absolute
     * difference of fractions, for workloads with a test set.
     *
     * @return the tolerance
     */
    public double defaultAccuracyTolerance() {
        if (computeType() == DataType.FLOAT32 || computeType() == DataType.FLOAT64) {
            return 0.01;
        }
        return computesEverythingInComputeType() ? 0.05 : 0.03;
    }

    @Override
    public String toString() {
        return label();
    }
}

package snippets;

import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;

/** 16-bit-training.md, "Enabling 16-bit": the ways to name a precision. */
public final class EnablingPrecision {

    private EnablingPrecision() {}

    public static void main(String[] args) {
        // snippet:start
        // Lightning: Trainer(precision="16-mixed")
        PrecisionConfig half = PrecisionConfig.of("16-mixed");

        // the same, through the enum and the builder
        PrecisionConfig alsoHalf =
                PrecisionConfig.builder().optPrecision(Precision.HALF_MIXED).build();

        // legacy values still parse, with a logged deprecation warning
        Precision legacy = Precision.parse("16"); // HALF_MIXED

        // unknown values fail at once, listing the accepted ones
        try {
            PrecisionConfig.of("fp16");
        } catch (IllegalArgumentException e) {
            System.out.println(e.getMessage());
        }
        // snippet:end
        if (half.getPrecision() != alsoHalf.getPrecision() || legacy != Precision.HALF_MIXED) {
            throw new IllegalStateException("precision parsing changed");
        }
    }
}

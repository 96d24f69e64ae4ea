package snippets;

import io.github.djlprecision.PrecisionConfig;

/** 16-bit-training.md, "amp_level": what PrecisionConfig checks today. */
public final class AmpLevelRules {

    private AmpLevelRules() {}

    public static void main(String[] args) {
        // snippet:start
        // Lightning: Trainer(precision="16-mixed", amp_backend="apex", amp_level="O2")
        PrecisionConfig apex =
                PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O2").build();
        System.out.println(apex); // 16-mixed (amp_level O2)

        // Apex levels are fp16 recipes: any other precision is refused at build()
        try {
            PrecisionConfig.builder().optPrecision("bf16-mixed").optAmpLevel("O2").build();
        } catch (IllegalArgumentException e) {
            System.out.println(e.getMessage());
        }
        // snippet:end
        if (apex.getAmpLevel().isEmpty()) {
            throw new IllegalStateException("amp_level rules changed");
        }
    }
}

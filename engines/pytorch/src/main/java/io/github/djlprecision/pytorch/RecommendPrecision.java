package io.github.djlprecision.pytorch;

import java.io.PrintStream;

/**
 * Prints the training precision {@link PrecisionAdvisor} recommends for the machine it runs on
 * (CPU flags from {@code /proc/cpuinfo}, GPUs through the CUDA runtime; LibTorch is not loaded):
 *
 * <pre>{@code
 * java -cp <djl-precision-pytorch and its dependencies> io.github.djlprecision.pytorch.RecommendPrecision
 * }</pre>
 *
 * Exit status 0, or 2 with any argument (it takes none).
 */
public final class RecommendPrecision {

    private RecommendPrecision() {}

    /**
     * Prints the recommendation for this machine.
     *
     * @param args none
     */
    public static void main(String[] args) {
        int status = run(args, MachineFacts.detect(), System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String[] args, MachineFacts facts, PrintStream out) {
        if (args.length > 0) {
            out.println(
                    "RecommendPrecision takes no arguments (got '"
                            + String.join(" ", args)
                            + "'); it reads the machine it runs on.");
            return 2;
        }
        PrecisionAdvisor.Advice advice = PrecisionAdvisor.advise(facts);
        out.println("Recommended training precision on this " + advice.device() + ":");
        out.println("  PrecisionConfig.of(\"" + advice.precision() + "\")");
        out.println("because");
        advice.reasons().forEach(r -> out.println("  - " + r));
        out.println("also consider");
        advice.alternatives().forEach(a -> out.println("  - " + a));
        out.println(
                "Model kinds that need care, and the measurements behind this: "
                        + "docs/choosing-a-precision.md");
        return 0;
    }
}

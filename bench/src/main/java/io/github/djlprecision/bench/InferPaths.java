package io.github.djlprecision.bench;

import ai.djl.Model;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.WeightConversion;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The inference paths {@link GpuInferBench} measures: what is done to a model (fp32 parameters
 * created, on its device) before its {@code Predictor} is made. A new path is one more row here.
 */
final class InferPaths {

    /**
     * One path.
     *
     * @param name the name on the command line and in results
     * @param prepare prepares the model and returns what runs, in words
     */
    record InferPath(String name, Function<Model, String> prepare) {}

    /** Every path, in report order. */
    static final List<InferPath> ALL =
            List.of(
                    new InferPath("fp32", model -> "plain DJL fp32"),
                    new InferPath(
                            "16-mixed-fp32-weights",
                            model -> wrap(model, "16-mixed", WeightConversion.NEVER)),
                    new InferPath(
                            "16-mixed", model -> wrap(model, "16-mixed", WeightConversion.AUTO)),
                    new InferPath(
                            "16-true", model -> wrap(model, "16-true", WeightConversion.AUTO)),
                    new InferPath(
                            "bf16-mixed",
                            model -> wrap(model, "bf16-mixed", WeightConversion.AUTO)));

    private InferPaths() {}

    /**
     * Finds a path by name.
     *
     * @param name the name
     * @return the path
     * @throws IllegalArgumentException for an unknown name, listing the accepted ones
     */
    static InferPath of(String name) {
        return ALL.stream()
                .filter(path -> path.name().equals(name))
                .findFirst()
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "Unknown inference path '"
                                                + name
                                                + "'; accepted: "
                                                + ALL.stream()
                                                        .map(InferPath::name)
                                                        .collect(Collectors.joining(", "))));
    }

    private static String wrap(Model model, String precision, WeightConversion conversion) {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision(precision)
                        .optWeightConversion(conversion)
                        .build();
        return "PrecisionBlock.wrap "
                + precision
                + " ("
                + conversion
                + "): "
                + LibraryEntryPoints.wrapForInference(model, config);
    }
}

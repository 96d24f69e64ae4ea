package io.github.djlprecision.bench;

import io.github.djlprecision.PrecisionConfig;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Which way a DJL training configuration of {@link GpuTrainBench} trains. */
enum TrainSide {
    /** Through djl-precision: {@code PrecisionTrainer.newTrainer(model, config, precision)}. */
    LIBRARY("library", null),
    /**
     * Through djl-precision with DJL's own optimizer (no fused kernel, {@code
     * OptimizerFusion.NEVER}): beside {@link #PLAIN_AUTOCAST} it shows the library's own cost.
     */
    LIBRARY_UNFUSED("library-unfused", List.of("16-mixed", "bf16-mixed")),
    /**
     * Through djl-precision in a process group: {@code PrecisionTrainer.newTrainer(model, config,
     * precision, ProcessGroupTopology.fromEnvironment())}, one process per launch rank ({@code
     * bin/djlp-run}).
     */
    LIBRARY_PROCESS_GROUP("library-process-group", null),
    /** Plain DJL, {@code model.newTrainer(config)}, fp32. */
    PLAIN("plain", List.of("32-true")),
    /**
     * Plain DJL with a hand-written LibTorch autocast scope and loss scaling ({@link
     * HandWrittenMixedStep}).
     */
    PLAIN_AUTOCAST("plain-autocast", List.of("16-mixed", "bf16-mixed"));

    private final String cliName;
    private final List<String> precisions;

    TrainSide(String cliName, List<String> precisions) {
        this.cliName = cliName;
        this.precisions = precisions;
    }

    /**
     * Returns the name used on the command line and in results.
     *
     * @return the name
     */
    String cliName() {
        return cliName;
    }

    /**
     * Finds a side by its command-line name.
     *
     * @param name the name
     * @return the side
     * @throws IllegalArgumentException for an unknown name, listing the accepted ones
     */
    static TrainSide of(String name) {
        return Arrays.stream(values())
                .filter(side -> side.cliName.equals(name))
                .findFirst()
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "Unknown side '"
                                                + name
                                                + "'; accepted: "
                                                + Arrays.stream(values())
                                                        .map(TrainSide::cliName)
                                                        .collect(Collectors.joining(", "))));
    }

    /**
     * Checks that this side can train in a precision.
     *
     * @param precision the precision asked for
     * @throws IllegalArgumentException naming what this side accepts
     */
    void check(PrecisionConfig precision) {
        if (precisions == null) {
            return;
        }
        String value = precision.getPrecision().value();
        if (!precisions.contains(value) || precision.getAmpLevel().isPresent()) {
            throw new IllegalArgumentException(
                    "Side "
                            + cliName
                            + " trains in "
                            + String.join(" or ", precisions)
                            + " without an amp level, not "
                            + precision
                            + "; use side library for other precisions");
        }
    }
}

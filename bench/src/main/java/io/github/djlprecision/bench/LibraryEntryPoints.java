package io.github.djlprecision.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.distributed.LaunchEnvironment;
import io.github.djlprecision.distributed.ProcessGroupTopology;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place the GPU benchmarks call djl-precision's entry points, as a user would: {@code
 * PrecisionTrainer.newTrainer} for training and {@code PrecisionBlock.wrap} for inference. When
 * those classes move package, only the imports here change.
 */
final class LibraryEntryPoints {

    private LibraryEntryPoints() {}

    /**
     * Makes a trainer through djl-precision.
     *
     * @param model the model, block set, parameters not yet created
     * @param config the training config
     * @param precision the precision
     * @return the trainer
     */
    static Trainer newTrainer(Model model, TrainingConfig config, PrecisionConfig precision) {
        return PrecisionTrainer.newTrainer(model, config, precision);
    }

    /**
     * Makes a trainer through djl-precision whose replicas are the ranks of a launch ({@code
     * RANK}, {@code WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT} set by {@code
     * bin/djlp-run}); the trainer closes the process group.
     *
     * @param model the model, block set, parameters not yet created
     * @param config the training config, one device
     * @param precision the precision
     * @return the trainer
     */
    static Trainer newTrainerInProcessGroup(
            Model model, TrainingConfig config, PrecisionConfig precision) {
        return PrecisionTrainer.newTrainer(
                model, config, precision, ProcessGroupTopology.fromEnvironment());
    }

    /**
     * Makes a trainer through djl-precision that runs the user's optimizer through DJL instead of
     * a fused kernel.
     *
     * @param model the model, block set, parameters not yet created
     * @param config the training config
     * @param precision the precision, whose other settings are kept
     * @return the trainer
     */
    static Trainer newTrainerUnfused(Model model, TrainingConfig config, PrecisionConfig precision) {
        PrecisionConfig.Builder unfused =
                PrecisionConfig.builder()
                        .optPrecision(precision.getPrecision())
                        .optOptimizerFusion(OptimizerFusion.NEVER);
        precision.getAmpLevel().ifPresent(level -> unfused.optAmpLevel(level.name()));
        return PrecisionTrainer.newTrainer(model, config, unfused.build());
    }

    /**
     * What a djl-precision trainer reports after training: the path that ran, steps taken and
     * skipped, the last loss scale.
     *
     * @param trainer a trainer from {@link #newTrainer}
     * @return the figures by name, empty for another trainer
     */
    static Map<String, Object> trainerFacts(Trainer trainer) {
        Map<String, Object> facts = new LinkedHashMap<>();
        if (trainer instanceof PrecisionTrainer precision) {
            facts.put("path", precision.getPlugin().getPath());
            facts.put("steps_total", precision.getStepCount());
            facts.put("steps_skipped", precision.getSkippedSteps());
            precision
                    .getLastOutcome()
                    .filter(outcome -> !Float.isNaN(outcome.lossScale()))
                    .ifPresent(outcome -> facts.put("loss_scale", outcome.lossScale()));
            if (LaunchEnvironment.isSet()) {
                // the ranks train on different data: equal sums show one averaged update
                facts.put("rank", LaunchEnvironment.fromEnvironment().rank());
                facts.put("weights_sum", weightsSum(trainer));
            }
        }
        return facts;
    }

    /** The sum of every parameter's values, in double precision. */
    private static double weightsSum(Trainer trainer) {
        double sum = 0;
        for (Parameter parameter : trainer.getModel().getBlock().getParameters().values()) {
            try (NDArray values = parameter.getArray().toType(DataType.FLOAT64, true)) {
                sum += values.sum().getDouble();
            }
        }
        return sum;
    }

    /**
     * Makes a model's forward passes run in a precision, for inference through its predictor.
     *
     * @param model a model whose parameters exist
     * @param precision the precision
     * @return the path that runs, in the plugin's words
     */
    static String wrapForInference(Model model, PrecisionConfig precision) {
        return PrecisionBlock.wrap(model, precision).getPlugin().getPath();
    }
}

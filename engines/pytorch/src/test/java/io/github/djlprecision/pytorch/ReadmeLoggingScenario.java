package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;

/**
 * The README's set-up ({@code TrainingListener.Defaults.logging()}, no {@code setMetrics}) in
 * {@code 16-mixed}, run in a child JVM so that its log is read at slf4j-simple's default level,
 * INFO, as a user sees it. The scale starts at 2^24 so that the first steps overflow. Prints a
 * summary line starting with {@code SUMMARY}.
 */
public final class ReadmeLoggingScenario {

    private ReadmeLoggingScenario() {}

    public static void main(String[] args) throws Exception {
        try (Model model = ClassificationTask.mlp("readme");
                NDManager data = NDManager.newBaseManager()) {
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .addTrainingListeners(TrainingListener.Defaults.logging());
            PrecisionConfig precision =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            .optGradScaler(GradScalerConfig.builder().optInitScale(16777216f).build())
                            .build();
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(new Shape(1, ClassificationTask.FEATURES));
                EasyTrain.fit(trainer, 2, ClassificationTask.blobs(data, 512, 32), null);
                Metrics metrics = trainer.getMetrics();
                System.out.println(
                        "SUMMARY steps="
                                + trainer.getStepCount()
                                + " skipped="
                                + trainer.getSkippedSteps()
                                + " scale="
                                + trainer.getLastOutcome().orElseThrow().lossScale()
                                + " skippedMetric="
                                + metrics.getMetric(PrecisionTrainer.METRIC_SKIPPED_STEP).size()
                                + " scaleMetric="
                                + metrics.getMetric(PrecisionTrainer.METRIC_LOSS_SCALE).size()
                                + " skippedSum="
                                + metrics.getMetric(PrecisionTrainer.METRIC_SKIPPED_STEP).stream()
                                        .mapToDouble(m -> m.getValue().doubleValue())
                                        .sum());
            }
        }
    }
}

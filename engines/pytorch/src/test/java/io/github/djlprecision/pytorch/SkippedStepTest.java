package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.Runs.Batch.INF;
import static io.github.djlprecision.pytorch.Runs.Batch.NORMAL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SkippedStepTest {

    private static final PrecisionConfig HALF =
            PrecisionConfig.builder()
                    .optPrecision("16-mixed")
                    .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                    .build();

    @Test
    void skippedStepsReachTheListenerWithScaleAndReason() {
        Runs.Recorder recorder = new Runs.Recorder();
        Runs.Batch[] batches = {NORMAL, INF, NORMAL, INF, NORMAL};
        try (Model model = ClassificationTask.mlp("skips");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model, ClassificationTask.adamConfig().addTrainingListeners(recorder), HALF)) {
            trainer.setMetrics(new Metrics());
            trainer.initialize(Runs.inputShape());
            for (int i = 0; i < batches.length; i++) {
                Runs.step(trainer, i, batches[i]);
            }
            assertEquals(2, trainer.getSkippedSteps());
            assertEquals(
                    List.of(0, 1, 0, 1, 0),
                    trainer.getMetrics().getMetric(PrecisionTrainer.METRIC_SKIPPED_STEP).stream()
                            .map(m -> m.getValue().intValue())
                            .collect(Collectors.toList()));
        }
        assertEquals(List.of(1L, 3L), recorder.skippedSteps);
        assertEquals(512f, recorder.skipped.get(0).lossScale());
        assertEquals(256f, recorder.skipped.get(1).lossScale());
        assertEquals(
                "inf or NaN gradients at loss scale 1024.0; scale now 512.0",
                recorder.skipped.get(0).skipReason());
    }

    /**
     * DJL's trackers get the optimizer's per-parameter update count, which only an applied update
     * raises: a skipped step leaves the learning-rate schedule where it was. (torch differs: a
     * scheduler stepped once per iteration advances over skipped steps too.)
     */
    @Test
    void learningRateScheduleFollowsAppliedUpdatesNotSteps() {
        List<TreeSet<Integer>> seenPerStep = new ArrayList<>();
        Tracker recording =
                numUpdate -> {
                    seenPerStep.get(seenPerStep.size() - 1).add(numUpdate);
                    return 0.05f;
                };
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(Optimizer.sgd().setLearningRateTracker(recording).build())
                        .optDevices(new Device[] {Device.cpu()});
        Runs.Batch[] batches = {NORMAL, INF, INF, NORMAL, NORMAL};
        try (Model model = ClassificationTask.mlp("tracker");
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, HALF)) {
            trainer.initialize(Runs.inputShape());
            for (int i = 0; i < batches.length; i++) {
                seenPerStep.add(new TreeSet<>());
                Runs.step(trainer, i, batches[i]);
            }
            assertEquals(5, trainer.getStepCount());
        }
        // every parameter asks for the same update number in one applied step
        assertEquals(
                List.of(List.of(1), List.of(), List.of(), List.of(2), List.of(3)),
                seenPerStep.stream().map(ArrayList::new).collect(Collectors.toList()));
    }
}

package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.Runs.Batch.FP16_OVERFLOW;
import static io.github.djlprecision.pytorch.Runs.Batch.NORMAL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.BreakerState;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.breaker.PrecisionCircuitBreaker;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The breaker's state goes through DJL's own {@code model.save} and comes back exactly. */
class BreakerCheckpointTest {

    @TempDir Path dir;

    private static Precision active(PrecisionPlugin plugin) {
        return ((PrecisionCircuitBreaker) plugin).getActivePrecision();
    }

    @Test
    void breakerStateSurvivesASaveWhileDegraded() throws Exception {
        PrecisionConfig precision =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                        // SGD steps on 10^6-sized inputs would jump far without clipping
                        .optGradientClipping(1.0, GradientClipping.Algorithm.NORM)
                        .optDecorator(
                                PrecisionBreakerConfig.builder()
                                        .optSlidingWindowSize(4)
                                        .optMinimumNumberOfSteps(4)
                                        .optFailureRateThreshold(50f)
                                        .optWaitSteps(3)
                                        .optProbeSteps(2)
                                        .build())
                        .build();
        List<Runs.Batch> all = new ArrayList<>();
        all.addAll(Collections.nCopies(5, NORMAL));
        all.addAll(Collections.nCopies(7, FP16_OVERFLOW));
        all.addAll(Collections.nCopies(8, NORMAL));
        Runs.Batch[] batches = all.toArray(new Runs.Batch[0]);
        // the breaker opens at step 6; after step 8 training is in bf16-mixed, 2 of 3 wait steps done
        CheckpointResumeTest.assertResumeMatches(
                dir, CheckpointResumeTest::sgd, precision, batches, 9, BreakerCheckpointTest::active);
        try (Model model = ClassificationTask.mlp(CheckpointResumeTest.NAME)) {
            model.load(dir, CheckpointResumeTest.NAME);
            assertEquals("bf16-mixed", model.getProperty("precision.breaker.active"));
            assertEquals("OPEN", model.getProperty("precision.breaker.16-mixed.state"));
            assertEquals("2", model.getProperty("precision.breaker.16-mixed.open_steps"));
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), precision)) {
                PrecisionCircuitBreaker plugin = (PrecisionCircuitBreaker) trainer.getPlugin();
                assertEquals(Precision.BF16_MIXED, plugin.getActivePrecision());
                assertEquals(BreakerState.OPEN, plugin.getBreakerState(Precision.HALF_MIXED));
            }
        }
    }
}

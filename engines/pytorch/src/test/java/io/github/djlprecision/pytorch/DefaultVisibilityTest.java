package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.metric.Metrics;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, case 7: with the README's set-up (no {@code setMetrics}), the loss scale and the
 * skipped steps are visible at INFO, one line per epoch and never one per step, and the metrics
 * exist, bounded.
 */
class DefaultVisibilityTest {

    private static final Pattern EPOCH_LINE =
            Pattern.compile(
                    "INFO io\\.github\\.djlprecision\\.training\\.PrecisionTrainer - 16-mixed: (\\d+) of"
                            + " (\\d+) steps this epoch skipped \\(inf or NaN gradients\\), loss scale"
                            + " ([0-9.E]+)");

    @Test
    void aUserOfDefaultsLoggingSeesSkippedStepsAndTheLossScaleOncePerEpoch() throws Exception {
        ChildJvm.Result child = ChildJvm.run(ReadmeLoggingScenario.class);
        String out = child.output();
        assertEquals(0, child.exitCode(), out);
        List<String> epochLines = new ArrayList<>();
        int skipped = 0;
        int steps = 0;
        String lastScale = null;
        for (String line : out.split("\\R")) {
            Matcher m = EPOCH_LINE.matcher(line);
            if (m.find()) {
                epochLines.add(line);
                skipped += Integer.parseInt(m.group(1));
                steps += Integer.parseInt(m.group(2));
                lastScale = m.group(3);
            }
        }
        assertEquals(2, epochLines.size(), "one line per epoch:\n" + out);
        Matcher summary = Pattern.compile("SUMMARY steps=(\\d+) skipped=(\\d+) scale=(\\S+) skippedMetric=(\\d+) scaleMetric=(\\d+) skippedSum=(\\S+)").matcher(out);
        assertTrue(summary.find(), out);
        assertEquals(32, steps);
        assertEquals(summary.group(1), Integer.toString(steps));
        assertEquals(summary.group(2), Integer.toString(skipped));
        assertTrue(skipped >= 8, "2^24 backs off at least 8 times towards fp16's range: " + skipped);
        assertEquals(summary.group(3), lastScale);
        // the metrics exist without set-up: one value per step
        assertEquals("32", summary.group(4));
        assertEquals("32", summary.group(5));
        assertEquals((double) skipped, Double.parseDouble(summary.group(6)));
        // a skipped step is an event for listeners and DEBUG, not a line at INFO or WARN
        long perStep = out.lines().filter(l -> l.contains("skipped:") || l.contains("Step ") && l.contains("skipped")).count();
        assertEquals(0, perStep, out);
    }

    @Test
    void theMetricsTheTrainerMakesAreBoundedPerMetric() {
        try (Model model = ClassificationTask.mlp("bounded");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, CheckpointPrecisionTest.sgd(), PrecisionConfig.of("16-mixed"))) {
            Metrics metrics = trainer.getMetrics();
            for (int i = 0; i < PrecisionTrainer.DEFAULT_METRICS_LIMIT; i++) {
                metrics.addMetric(PrecisionTrainer.METRIC_LOSS_SCALE, i);
            }
            assertEquals(10_000, metrics.getMetric(PrecisionTrainer.METRIC_LOSS_SCALE).size());
            // DJL's limit: the list is cleared when full, so it never holds more than 10000
            metrics.addMetric(PrecisionTrainer.METRIC_LOSS_SCALE, -1);
            assertEquals(1, metrics.getMetric(PrecisionTrainer.METRIC_LOSS_SCALE).size());
        }
    }
}

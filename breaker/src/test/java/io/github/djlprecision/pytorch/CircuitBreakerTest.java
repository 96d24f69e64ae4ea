package io.github.djlprecision.pytorch;

import static io.github.djlprecision.Precision.BF16_MIXED;
import static io.github.djlprecision.Precision.FLOAT_TRUE;
import static io.github.djlprecision.Precision.HALF_MIXED;
import static io.github.djlprecision.breaker.BreakerState.CLOSED;
import static io.github.djlprecision.breaker.BreakerState.HALF_OPEN;
import static io.github.djlprecision.breaker.BreakerState.OPEN;
import static io.github.djlprecision.pytorch.Runs.Batch.FP16_OVERFLOW;
import static io.github.djlprecision.pytorch.Runs.Batch.INF;
import static io.github.djlprecision.pytorch.Runs.Batch.NORMAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.BreakerListener;
import io.github.djlprecision.breaker.BreakerTransition;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.breaker.PrecisionCircuitBreaker;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.spi.StepOutcome;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    /** Records the breaker's transitions beside every precision event. */
    static final class BreakerRecorder extends Runs.Recorder implements BreakerListener {

        final List<BreakerTransition> transitions = new ArrayList<>();

        @Override
        public void onBreakerTransition(BreakerTransition transition) {
            transitions.add(transition);
        }
    }

    /** A breaker small enough to watch: 4-step window, 50%, 3 steps of wait, 2-step probe. */
    static PrecisionConfig guarded(float floor) {
        return PrecisionConfig.builder()
                .optPrecision("16-mixed")
                .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                .optDecorator(
                        PrecisionBreakerConfig.builder()
                                .optSlidingWindowSize(4)
                                .optMinimumNumberOfSteps(4)
                                .optFailureRateThreshold(50f)
                                .optLossScaleFloor(floor)
                                .optWaitSteps(3)
                                .optProbeSteps(2)
                                .build())
                .build();
    }

    /** What each step of a run did. */
    private record Trace(
            List<Precision> precisions,
            List<StepOutcome> outcomes,
            List<float[]> weights,
            BreakerRecorder recorder,
            List<Metric> transitionMetrics) {}

    private static Trace run(PrecisionConfig config, Runs.Batch... batches) {
        BreakerRecorder recorder = new BreakerRecorder();
        try (Model model = ClassificationTask.mlp("breaker");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model, ClassificationTask.adamConfig().addTrainingListeners(recorder), config)) {
            trainer.setMetrics(new Metrics());
            trainer.initialize(Runs.inputShape());
            PrecisionCircuitBreaker breaker = (PrecisionCircuitBreaker) trainer.getPlugin();
            List<Precision> precisions = new ArrayList<>();
            List<StepOutcome> outcomes = new ArrayList<>();
            List<float[]> weights = new ArrayList<>();
            weights.add(Runs.flatWeights(model));
            for (int i = 0; i < batches.length; i++) {
                precisions.add(breaker.getActivePrecision());
                Runs.step(trainer, i, batches[i]);
                outcomes.add(trainer.getLastOutcome().orElseThrow());
                weights.add(Runs.flatWeights(model));
            }
            List<Metric> metrics =
                    trainer.getMetrics().hasMetric(PrecisionCircuitBreaker.METRIC_TRANSITION)
                            ? trainer.getMetrics().getMetric(PrecisionCircuitBreaker.METRIC_TRANSITION)
                            : List.of();
            return new Trace(precisions, outcomes, weights, recorder, metrics);
        }
    }

    private static Runs.Batch[] batches(Object... runs) {
        List<Runs.Batch> all = new ArrayList<>();
        for (int i = 0; i < runs.length; i += 2) {
            for (int n = 0; n < (int) runs[i + 1]; n++) {
                all.add((Runs.Batch) runs[i]);
            }
        }
        return all.toArray(new Runs.Batch[0]);
    }

    private static List<String> summary(List<BreakerTransition> transitions) {
        return transitions.stream()
                .map(t -> t.stepIndex() + ":" + t.guarded() + ":" + t.from() + "->" + t.to() + ":" + t.activeAfter())
                .collect(Collectors.toList());
    }

    @Test
    void fp16TroubleTripsToBf16WithContinuousWeightsAndReturnsAfterTheStretch() {
        // steps 0-4 normal, 5-11 overflow fp16 (not bf16), 12-19 normal again
        Trace trace = run(guarded(0f), batches(NORMAL, 5, FP16_OVERFLOW, 7, NORMAL, 8));

        List<Precision> expected = new ArrayList<>();
        expected.addAll(java.util.Collections.nCopies(7, HALF_MIXED)); // 0-6: 5 and 6 skip, trip
        expected.addAll(java.util.Collections.nCopies(3, BF16_MIXED)); // 7-9: wait of 3 steps
        expected.addAll(java.util.Collections.nCopies(2, HALF_MIXED)); // 10-11: probe, still overflowing
        expected.addAll(java.util.Collections.nCopies(3, BF16_MIXED)); // 12-14: wait again
        expected.addAll(java.util.Collections.nCopies(5, HALF_MIXED)); // 15-16 probe passes, then stays
        assertEquals(expected, trace.precisions());

        assertEquals(
                List.of(
                        "6:16-mixed:CLOSED->OPEN:bf16-mixed",
                        "9:16-mixed:OPEN->HALF_OPEN:16-mixed",
                        "11:16-mixed:HALF_OPEN->OPEN:bf16-mixed",
                        "14:16-mixed:OPEN->HALF_OPEN:16-mixed",
                        "16:16-mixed:HALF_OPEN->CLOSED:16-mixed"),
                summary(trace.recorder().transitions));
        BreakerTransition trip = trace.recorder().transitions.get(0);
        assertTrue(trip.changesPrecision());
        assertTrue(trip.reason().contains("2 of the last 4 steps skipped"), trip.reason());
        assertTrue(
                trace.recorder().transitions.get(2).reason().startsWith("probe failed"),
                trace.recorder().transitions.get(2).reason());
        // every transition is counted in DJL's metrics, with where it went
        assertEquals(5, trace.transitionMetrics().size());
        assertEquals(
                "OPEN",
                Arrays.stream(trace.transitionMetrics().get(0).getDimensions())
                        .filter(d -> d.getName().equals("to"))
                        .findFirst()
                        .orElseThrow()
                        .getValue());

        for (int i = 0; i < trace.outcomes().size(); i++) {
            StepOutcome outcome = trace.outcomes().get(i);
            float[] before = trace.weights().get(i);
            float[] after = trace.weights().get(i + 1);
            assertTrue(Runs.allFinite(after), "NaN or inf in the weights after step " + i);
            if (outcome.applied()) {
                assertFalse(Arrays.equals(before, after), "applied step " + i + " changed nothing");
            } else {
                assertArrayEquals(before, after, "skipped step " + i + " changed the weights");
            }
            // fp16 skips exactly the overflowing steps it runs; bf16 trains through them
            boolean overflowInFp16 = i >= 5 && i <= 11 && trace.precisions().get(i) == HALF_MIXED;
            assertEquals(!overflowInFp16, outcome.applied(), "step " + i);
        }
        // no reset at the switch: the first bf16 step starts from the weights the fp16 steps left
        assertFalse(Arrays.equals(trace.weights().get(0), trace.weights().get(7)));
        // the probe and the return start from the scale of the last healthy fp16 step
        assertEquals(512f, trace.outcomes().get(10).lossScale()); // 1024 halved by the failed probe
        assertEquals(1024f, trace.outcomes().get(15).lossScale());
        assertEquals(1024f, trace.outcomes().get(19).lossScale());
        assertTrue(Float.isNaN(trace.outcomes().get(8).lossScale()), "bf16 has no loss scale");
    }

    @Test
    void nonFiniteDataDegradesDownTheWholeLadderWithoutNaNAndComesBack() {
        // inf in the data is non-finite in every precision: the guard skips it on every rung
        PrecisionConfig config = guarded(0f);
        Trace trace = run(config, batches(NORMAL, 4, INF, 12, NORMAL, 14));

        float[] beforeStretch = trace.weights().get(4);
        for (int i = 4; i < 16; i++) {
            assertFalse(trace.outcomes().get(i).applied(), "step " + i);
            assertArrayEquals(beforeStretch, trace.weights().get(i + 1), "step " + i);
        }
        assertTrue(trace.precisions().contains(FLOAT_TRUE), trace.precisions().toString());
        assertTrue(Runs.allFinite(trace.weights().get(trace.weights().size() - 1)));
        assertEquals(HALF_MIXED, trace.precisions().get(trace.precisions().size() - 1));
        // skips on the guarded rungs (no loss scale) reach the listener like fp16 skips
        assertTrue(
                trace.recorder().skipped.stream()
                        .anyMatch(o -> o.skipReason().equals("inf or NaN gradients")),
                trace.recorder().skipped.toString());
        assertEquals(12, trace.recorder().skippedSteps.size());
        assertTrue(
                summary(trace.recorder().transitions).contains("11:bf16-mixed:CLOSED->OPEN:32-true"),
                summary(trace.recorder().transitions).toString());
    }

    @Test
    void overflowAtTheFloorTripsAtOnceAndRollsTheScaleBack() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(GradScalerConfig.builder().optInitScale(4f).build())
                        .optDecorator(
                                PrecisionBreakerConfig.builder()
                                        .optLossScaleFloor(1f)
                                        .optWaitSteps(2)
                                        .optProbeSteps(1)
                                        .build())
                        .build();
        // 4 -> 2 -> 1: the third overflowing step runs at the floor and trips the breaker
        Trace trace = run(config, batches(NORMAL, 2, FP16_OVERFLOW, 3, NORMAL, 4));
        BreakerTransition trip = trace.recorder().transitions.get(0);
        assertEquals(4, trip.stepIndex());
        assertEquals(OPEN, trip.to());
        assertTrue(
                trip.reason().contains("overflowed at loss scale 1.0, at or below the floor 1.0"),
                trip.reason());
        assertEquals(
                List.of(HALF_MIXED, HALF_MIXED, HALF_MIXED, HALF_MIXED, HALF_MIXED, BF16_MIXED, BF16_MIXED, HALF_MIXED, HALF_MIXED),
                trace.precisions());
        // back in fp16 at the scale of the last healthy step, not the collapsed one
        assertEquals(4f, trace.outcomes().get(7).lossScale());
        assertEquals(HALF_OPEN, trace.recorder().transitions.get(1).to());
        assertEquals(CLOSED, trace.recorder().transitions.get(2).to());
    }

    @Test
    void theDefaultWindowIgnoresTheUsualStartUpSkips() {
        // GradScaler's start: 2^16 overflows a few times before it settles; the breaker must not care
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(GradScalerConfig.builder().optInitScale(1e9f).build())
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        Trace trace = run(config, batches(NORMAL, 30));
        long skipped = trace.outcomes().stream().filter(o -> !o.applied()).count();
        assertTrue(skipped >= 3, "expected a start-up burst, got " + skipped);
        assertTrue(trace.recorder().transitions.isEmpty(), trace.recorder().transitions.toString());
        assertTrue(trace.precisions().stream().allMatch(p -> p == HALF_MIXED));
    }

    @Test
    void breakerIsOffByDefaultAndOnWithItsDecorator() {
        PrecisionConfig config = PrecisionConfig.of("16-mixed");
        assertTrue(config.getDecorators().isEmpty());
        try (Model model = ClassificationTask.mlp("off");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
            assertInstanceOf(MixedPrecision.class, trainer.getPlugin());
        }
        try (Model model = ClassificationTask.mlp("on");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), guarded(1f))) {
            PrecisionCircuitBreaker plugin = (PrecisionCircuitBreaker) trainer.getPlugin();
            assertEquals(List.of(HALF_MIXED, BF16_MIXED, FLOAT_TRUE), plugin.getLadder());
            assertEquals(HALF_MIXED, plugin.getPrecision());
            assertTrue(plugin.getPath().startsWith("circuit-breaker(16-mixed -> bf16-mixed -> 32-true"), plugin.getPath());
        }
    }
}

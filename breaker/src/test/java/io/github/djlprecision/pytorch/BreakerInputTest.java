package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.Runs.Batch.INF;
import static io.github.djlprecision.pytorch.Runs.Batch.NORMAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The breaker's settings, refusals, saved state and guard, as a user meets them. */
class BreakerInputTest {

    private static <T extends Throwable> T assertRejected(
            Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), e.getMessage());
        }
        return e;
    }

    private static void assertIllegal(Executable call, String... fragments) {
        assertRejected(IllegalArgumentException.class, call, fragments);
    }

    private void assertExitsNormally(String scenario, Consumer<String> check) throws Exception {
        ChildJvm.Result child = ChildJvm.run(BreakerChildJvmScenarios.class, scenario);
        assertEquals(0, child.exitCode(), "child JVM did not exit normally:\n" + child.output());
        check.accept(child.output());
    }

    @Test
    void breakerAndProviderProblemsAreReportedInOneException() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("bf16-true")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("problems")) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config));
            assertEquals(2, e.getProblems().size(), e.getMessage());
            assertTrue(e.getProblems().get(0).contains("bf16-true is not supported"), e.getMessage());
            assertTrue(e.getProblems().get(1).contains("circuit breaker guards '16-mixed'"), e.getMessage());
        }
    }

@Test
    void badBreakerSettings() {
        PrecisionBreakerConfig.Builder builder = PrecisionBreakerConfig.builder();
        assertIllegal(() -> builder.optSlidingWindowSize(0), "slidingWindowSize must be at least 1 step");
        assertIllegal(() -> builder.optMinimumNumberOfSteps(-1), "minimumNumberOfSteps must be at least 1");
        assertIllegal(() -> builder.optWaitSteps(0), "waitSteps must be at least 1");
        assertIllegal(() -> builder.optProbeSteps(0), "probeSteps must be at least 1");
        for (float bad : new float[] {0f, -5f, 100.5f, Float.NaN}) {
            assertIllegal(() -> builder.optFailureRateThreshold(bad), "percentage in (0, 100]");
        }
        for (float bad : new float[] {-1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertIllegal(() -> builder.optLossScaleFloor(bad), "lossScaleFloor must be a finite number");
        }
        assertIllegal(
                builder.optSlidingWindowSize(10).optMinimumNumberOfSteps(20)::build,
                "minimumNumberOfSteps (20) cannot exceed slidingWindowSize (10)");
        assertIllegal(() -> PrecisionConfig.builder().optDecorator(null), "must not be null");
        assertEquals(25f, builder.optMinimumNumberOfSteps(10).build().getFailureRateThreshold());
    }


    /** Every public setting of {@link PrecisionBreakerConfig} has a case in {@link #badBreakerSettings}. */
    @Test
    void everyBreakerSettingHasABadInputCase() {
        Set<String> settings = new TreeSet<>();
        for (java.lang.reflect.Method method : PrecisionBreakerConfig.Builder.class.getDeclaredMethods()) {
            if (java.lang.reflect.Modifier.isPublic(method.getModifiers())) {
                settings.add(SettingNames.of(PrecisionBreakerConfig.Builder.class, method));
            }
        }
        assertEquals(
                new TreeSet<>(
                        List.of(
                                "PrecisionBreakerConfig.build()",
                                "PrecisionBreakerConfig.optFailureRateThreshold(float)",
                                "PrecisionBreakerConfig.optLossScaleFloor(float)",
                                "PrecisionBreakerConfig.optMinimumNumberOfSteps(int)",
                                "PrecisionBreakerConfig.optProbeSteps(int)",
                                "PrecisionBreakerConfig.optSlidingWindowSize(int)",
                                "PrecisionBreakerConfig.optWaitSteps(int)")),
                settings,
                "a new breaker setting needs a case in badBreakerSettings");
    }

    private static PrecisionConfig guarded() {
        return PrecisionConfig.builder()
                .optPrecision("16-mixed")
                .optDecorator(PrecisionBreakerConfig.defaults())
                .build();
    }

    /** The properties a 16-mixed trainer with the breaker writes after one step. */
    private static Map<String, String> savedState() {
        try (Model model = ClassificationTask.mlp("breaker-state");
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), guarded())) {
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, NORMAL);
            trainer.writeCheckpointState();
            return new TreeMap<>(model.getProperties());
        }
    }

    /** A saved key in the breaker's terms: precisions as {@code <p>}, plugin keys as {@code *}. */
    private static String pattern(String key) {
        String general = key;
        for (io.github.djlprecision.Precision precision : io.github.djlprecision.Precision.values()) {
            general = general.replace("." + precision.value() + ".", ".<p>.");
        }
        return general.replaceAll("last_good\\..*", "last_good.*").replaceAll("^precision\\.rung\\.<p>\\..*", "precision.rung.<p>.*");
    }

    @Test
    void everyRestoredBreakerKeyIsValidatedWithItsAcceptedRange() {
        // Lightning's values first; precisions contributed on the class path follow them
        String precisions = "accepted: 64-true, 32-true, 16-mixed, bf16-mixed, 16-true, bf16-true";
        String[][] cases = {
            {"precision.breaker.active", "16-mixd", "breaker.active names '16-mixd', which is not a precision", precisions},
            {"precision.breaker.active", "16", "names '16', which is not a precision"},
            {"precision.breaker.16-mixed.state", "SMOULDERING", "accepted: CLOSED, OPEN, HALF_OPEN"},
            {"precision.breaker.bf16-mixed.state", "open", "accepted: CLOSED, OPEN, HALF_OPEN"},
            {"precision.breaker.16-mixed.open_steps", "-1", "accepted: a whole number of steps in [0, 2147483647]"},
            {"precision.breaker.16-mixed.open_steps", "soon", "accepted: a whole number of steps in [0, 2147483647]"},
            {"precision.breaker.16-mixed.last_good.scaler.scale", "abc", "under breaker.16-mixed.last_good.*", "scaler.scale='abc' is invalid"},
            {"precision.breaker.16-mixed.last_good.scaler.growth_tracker", "-2", "under breaker.16-mixed.last_good.*", "accepted: a whole number in [0, 1999]"},
            {"precision.breaker.16-mixed.bogus", "1", "unknown key breaker.16-mixed.bogus", "breaker.<p>.last_good.*"},
            {"precision.breaker.16-mixd.state", "OPEN", "breaker.16-mixd.state names '16-mixd'", precisions},
            {"precision.rung.bf16-mixed.scaler.scale", "1024.0", "under rung.bf16-mixed.*", "bf16-mixed keeps no loss-scaler state"},
            {"precision.rung.16-mixd.scaler.scale", "1024.0", "rung.16-mixd.scaler.scale names '16-mixd'", precisions},
        };
        Map<String, String> saved = savedState();
        Set<String> covered = new TreeSet<>();
        for (String[] c : cases) {
            covered.add(pattern(c[0]));
        }
        for (String key : saved.keySet()) {
            if (key.startsWith("precision.breaker.") || key.startsWith("precision.rung.")) {
                assertTrue(covered.contains(pattern(key)), "no case for " + key + " (" + pattern(key) + ")");
            }
        }
        for (String[] c : cases) {
            try (Model model = ClassificationTask.mlp("breaker-state")) {
                saved.forEach(model::setProperty);
                model.setProperty(c[0], c[1]);
                String[] fragments = Arrays.copyOfRange(c, 1, c.length);
                fragments[0] = "The model's saved precision state is invalid";
                assertRejected(
                        IllegalArgumentException.class,
                        () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), guarded()),
                        fragments);
                assertEquals(0, ManagerTree.of(model.getNDManager()).managers(), c[0]);
            }
        }
    }

    @Test
    void twoThousandRefusedBreakerStatesLeaveNothingAttached() {
        try (Model model = ClassificationTask.mlp("breaker-leak")) {
            savedState().forEach(model::setProperty);
            model.setProperty("precision.breaker.16-mixed.state", "SMOULDERING");
            ManagerTree before = ManagerTree.of(model.getNDManager());
            for (int i = 0; i < RefusedTrainerLeakTest.REFUSALS; i++) {
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), guarded()));
            }
            assertEquals(before, ManagerTree.of(model.getNDManager()));
        }
    }

    @Test
    void breakerOnAPrecisionItCannotGuardLosesNothing() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("32-true")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("guard")) {
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("32-true"))) {
                trainer.initialize(Runs.inputShape());
            }
            float[] weights = Runs.flatWeights(model);
            assertRejected(
                    UnsupportedPrecisionException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                    "circuit breaker guards '16-mixed' and 'bf16-mixed', not '32-true'");
            assertArrayEquals(weights, Runs.flatWeights(model));
        }
    }


    @Test
    void breakerOnTheApexO2FallbackIsRefused() {
        // declining native autocast makes 16-mixed fall back to O2, which holds fp16 weights
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optNativeAutocast(false)
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("o2")) {
            assertRejected(
                    UnsupportedPrecisionException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                    "needs the autocast recipe (fp32 weights used as they are), but apex-O2");
        }
    }


    @Test
    void corruptBreakerStateIsAClearError() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("breaker-ckpt")) {
            model.setProperty("precision.value", "16-mixed");
            model.setProperty("precision.breaker.16-mixed.state", "SMOULDERING");
            assertRejected(
                    IllegalArgumentException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                    "saved precision state",
                    "SMOULDERING");
        }
    }


    @Test
    void infInputUnderBf16WithTheBreakerIsSkippedNotWrittenIntoTheWeights() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("bf16-mixed")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("bf16-inf");
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, NORMAL);
            float[] before = Runs.flatWeights(model);
            Runs.step(trainer, 1, INF);
            assertEquals(
                    "inf or NaN gradients",
                    trainer.getLastOutcome().orElseThrow().skipReason());
            assertArrayEquals(before, Runs.flatWeights(model));
            Runs.step(trainer, 2, NORMAL);
            assertTrue(Runs.allFinite(Runs.flatWeights(model)));
            assertFalse(Arrays.equals(before, Runs.flatWeights(model)), "the next batch trains");
        }
    }

    /** Linear, a lambda that throws while {@code fail} is set, ReLU, Linear. */

    @Test
    void closingTheTrainerTwiceIsHarmlessAndTheModelTrainsOn() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("twice")) {
            PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config);
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, NORMAL);
            float[] weights = Runs.flatWeights(model);
            trainer.close();
            assertDoesNotThrow(trainer::close);
            assertArrayEquals(weights, Runs.flatWeights(model));
            try (PrecisionTrainer next = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
                assertEquals(1, next.getStepCount(), "step count carried over in the model's properties");
                Runs.step(next, 1, NORMAL);
                assertTrue(next.getLastOutcome().orElseThrow().applied());
            }
        }
    }


    @Test
    void breakerFallsBackToBf16WithTheSoftmaxLambdaAsAnFp32Island() throws Exception {
        // 16-mixed places no island; the bf16 rung places its own on its first forward pass
        assertExitsNormally(
                "breaker-falls-back-to-bf16",
                out -> {
                    assertTrue(out.contains("LADDER [16-mixed, bf16-mixed, 32-true]"), out);
                    assertTrue(out.contains("ACTIVE bf16-mixed"), out);
                    assertTrue(out.contains("fp32 islands: 03LambdaBlock"), out);
                    assertTrue(out.contains("FINITE true"), out);
                });
    }
}

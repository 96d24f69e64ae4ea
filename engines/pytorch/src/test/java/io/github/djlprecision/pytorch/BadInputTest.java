package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.Runs.Batch.INF;
import static io.github.djlprecision.pytorch.Runs.Batch.NORMAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.PrecisionTrainer;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.scaling.GradScalerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad inputs, one test each: the error a user sees, or the behaviour they get, and that nothing is
 * lost afterwards (a rejected setting leaves the builder as it was; a refused or failed trainer
 * leaves the model's weights as they were). Cases that could abort the JVM run in a child JVM.
 */
class BadInputTest {

    @TempDir Path dir;

    private static <T extends Throwable> T assertRejected(
            Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "'" + fragment + "' not in: " + e.getMessage());
        }
        return e;
    }

    private static void assertIllegal(Executable call, String... fragments) {
        assertRejected(IllegalArgumentException.class, call, fragments);
    }

    // ---- precision values ----

    @Test
    void nullPrecision() {
        assertIllegal(() -> PrecisionConfig.of(null), "Precision must not be null", "Accepted values");
        assertIllegal(
                () -> PrecisionConfig.builder().optPrecision((Precision) null),
                "Precision must not be null");
    }

    @Test
    void blankPrecision() {
        assertIllegal(() -> PrecisionConfig.of(""), "must not be blank");
        assertIllegal(() -> PrecisionConfig.of("  \t"), "must not be blank");
    }

    @Test
    void unknownPrecision() {
        assertIllegal(
                () -> PrecisionConfig.of("8-mixed"),
                "Unknown precision '8-mixed'",
                "16-mixed, bf16-mixed");
    }

    @Test
    void wrongCasePrecision() {
        assertIllegal(
                () -> PrecisionConfig.of("BF16-Mixed"),
                "Did you mean 'bf16-mixed'? Values are case-sensitive.");
    }

    @Test
    void unknownAmpLevel() {
        assertIllegal(() -> PrecisionConfig.builder().optAmpLevel("o2"), "Unknown amp_level 'o2'", "O0, O1, O2, O3");
    }

    @Test
    void apexLevelWithATruePrecision() {
        PrecisionConfig.Builder builder = PrecisionConfig.builder().optPrecision("32-true").optAmpLevel("O2");
        assertIllegal(builder::build, "amp_level O2 only applies to precision '16-mixed'");
        // the builder is intact: fixing the precision makes it valid
        assertEquals(Precision.HALF_MIXED, builder.optPrecision("16-mixed").build().getPrecision());
    }

    // ---- loss-scaler settings: each rejected at once, the builder keeps its last good value ----

    @Test
    void nonPositiveOrNonFiniteInitScale() {
        GradScalerConfig.Builder builder = GradScalerConfig.builder().optInitScale(512f);
        for (float bad : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertIllegal(() -> builder.optInitScale(bad), "initScale must be a finite number above 0");
        }
        assertEquals(512f, builder.build().getInitScale());
    }

    @Test
    void growthFactorAtMostOne() {
        GradScalerConfig.Builder builder = GradScalerConfig.builder();
        for (float bad : new float[] {1f, 0.5f, -2f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertIllegal(() -> builder.optGrowthFactor(bad), "growthFactor must be a finite number above 1");
        }
        assertEquals(2f, builder.build().getGrowthFactor());
    }

    @Test
    void backoffOutsideTheOpenUnitInterval() {
        GradScalerConfig.Builder builder = GradScalerConfig.builder();
        for (float bad : new float[] {0f, 1f, 1.5f, -0.5f, Float.NaN}) {
            assertIllegal(() -> builder.optBackoffFactor(bad), "backoffFactor must lie strictly between 0 and 1");
        }
        assertEquals(0.5f, builder.build().getBackoffFactor());
    }

    @Test
    void growthIntervalBelowOne() {
        GradScalerConfig.Builder builder = GradScalerConfig.builder();
        assertIllegal(() -> builder.optGrowthInterval(0), "growthInterval must be at least 1, got 0");
        assertIllegal(() -> builder.optGrowthInterval(-3), "growthInterval must be at least 1, got -3");
        assertEquals(2000, builder.build().getGrowthInterval());
    }

    @Test
    void nullScalerSettings() {
        assertIllegal(() -> PrecisionConfig.builder().optGradScaler(null), "GradScalerConfig must not be null");
    }

    // ---- breaker, diagnosis and clipping settings ----

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
        assertIllegal(() -> PrecisionConfig.builder().optCircuitBreaker(null), "optCircuitBreakerOff()");
        assertEquals(25f, builder.optMinimumNumberOfSteps(10).build().getFailureRateThreshold());
    }

    @Test
    void negativeLowScaleDiagnosisAndBadClipping() {
        assertIllegal(() -> PrecisionConfig.builder().optLowScaleDiagnosis(-1), "at least 0 (0: off)");
        assertIllegal(
                () -> PrecisionConfig.builder().optGradientClipping(0, GradientClipping.Algorithm.NORM),
                "Gradient clip value must be a finite number above 0");
        assertIllegal(
                () -> PrecisionConfig.builder().optGradientClipping(Double.NaN, GradientClipping.Algorithm.VALUE),
                "finite number above 0");
        assertIllegal(() -> PrecisionConfig.builder().optGradientClipping(1, null), "Accepted values: NORM, VALUE");
    }

    // ---- trainer creation ----

    @Test
    void nullArgumentsToNewTrainer() {
        try (Model model = ClassificationTask.mlp("nulls")) {
            PrecisionConfig half = PrecisionConfig.of("16-mixed");
            assertIllegal(() -> PrecisionTrainer.newTrainer(null, ClassificationTask.adamConfig(), half), "must not be null");
            assertIllegal(() -> PrecisionTrainer.newTrainer(model, null, half), "must not be null");
            assertIllegal(() -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), null), "must not be null");
        }
    }

    @Test
    void modelWithoutBlock() {
        try (Model model = Model.newInstance("empty", Device.cpu(), "PyTorch")) {
            assertRejected(
                    IllegalStateException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed")),
                    "You must set block");
        }
    }

    @Test
    void unknownPluginName() {
        PrecisionConfig config = PrecisionConfig.builder().optPrecision("16-mixed").optPlugin("apex-turbo").build();
        try (Model model = ClassificationTask.mlp("plugin")) {
            assertRejected(
                    UnsupportedPrecisionException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                    "No precision plugin provider named 'apex-turbo'",
                    "pytorch-native");
        }
    }

    @Test
    void breakerOnAPrecisionItCannotGuardLosesNothing() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("32-true")
                        .optCircuitBreaker(PrecisionBreakerConfig.defaults())
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
                        .optCircuitBreaker(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("o2")) {
            assertRejected(
                    UnsupportedPrecisionException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                    "needs the autocast recipe (fp32 weights), but apex-O2");
        }
    }

    @Test
    void bf16OnAGpuBelowAmpere() {
        assertRejected(
                UnsupportedPrecisionException.class,
                () ->
                        new PyTorchPrecisionProvider(id -> "70")
                                .create(
                                        new io.github.djlprecision.spi.PluginRequest(
                                                "PyTorch",
                                                Device.gpu(0),
                                                PrecisionConfig.of("bf16-mixed"),
                                                io.github.djlprecision.spi.PluginRequest.Purpose.TRAINING)),
                "needs CUDA compute capability 8.0",
                "has 7.0");
    }

    @Test
    void corruptCheckpointStateIsAClearErrorAndTheWeightsSurvive() throws Exception {
        try (Model model = ClassificationTask.mlp("ckpt")) {
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed"))) {
                trainer.initialize(Runs.inputShape());
                Runs.step(trainer, 0, NORMAL);
            }
            model.save(dir, "ckpt");
        }
        for (String[] corruption :
                new String[][] {
                    {"precision.scaler.scale", "abc"},
                    {"precision.scaler.scale", "-1"},
                    {"precision.scaler.backoff_factor", "2"},
                    {"precision.steps", "many"}
                }) {
            try (Model model = ClassificationTask.mlp("ckpt")) {
                model.load(dir, "ckpt");
                float[] weights = Runs.flatWeights(model);
                model.setProperty(corruption[0], corruption[1]);
                assertRejected(
                        IllegalArgumentException.class,
                        () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed")),
                        "The model's saved precision state (properties precision.*) is invalid",
                        "Remove those properties");
                assertArrayEquals(weights, Runs.flatWeights(model), String.join("=", corruption));
            }
        }
    }

    @Test
    void corruptBreakerStateIsAClearError() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optCircuitBreaker(PrecisionBreakerConfig.defaults())
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

    // ---- bad data and misbehaving code during training ----

    @Test
    void nanInTheInputSkipsTheStepAndKeepsTheWeights() {
        try (Model model = ClassificationTask.mlp("nan");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed"))) {
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, NORMAL);
            float[] before = Runs.flatWeights(model);
            float scale = trainer.getLastOutcome().orElseThrow().lossScale();
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray x = Runs.input(scope, 1, NORMAL);
                x.set(new NDIndex(3, 5), Float.NaN);
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray loss =
                            trainer.getLoss()
                                    .evaluate(new NDList(Runs.labels(scope)), trainer.forward(new NDList(x)));
                    collector.backward(loss);
                }
                trainer.step();
            }
            assertFalse(trainer.getLastOutcome().orElseThrow().applied());
            assertEquals(scale / 2, trainer.getLastOutcome().orElseThrow().lossScale());
            assertArrayEquals(before, Runs.flatWeights(model));
            Runs.step(trainer, 2, NORMAL);
            assertTrue(trainer.getLastOutcome().orElseThrow().applied());
            assertTrue(Runs.allFinite(Runs.flatWeights(model)));
        }
    }

    @Test
    void infInputUnderBf16WithTheBreakerIsSkippedNotWrittenIntoTheWeights() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("bf16-mixed")
                        .optCircuitBreaker(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("bf16-inf");
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, NORMAL);
            float[] before = Runs.flatWeights(model);
            Runs.step(trainer, 1, INF);
            assertEquals(
                    "inf or NaN gradients in bf16-mixed (circuit breaker guard)",
                    trainer.getLastOutcome().orElseThrow().skipReason());
            assertArrayEquals(before, Runs.flatWeights(model));
            Runs.step(trainer, 2, NORMAL);
            assertTrue(Runs.allFinite(Runs.flatWeights(model)));
            assertFalse(Arrays.equals(before, Runs.flatWeights(model)), "the next batch trains");
        }
    }

    /** Linear, a lambda that throws while {@code fail} is set, ReLU, Linear. */
    private static Model failingModel(AtomicBoolean fail) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        Model model = Model.newInstance("throws", Device.cpu(), "PyTorch");
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(32).build())
                        .add(
                                new LambdaBlock(
                                        x -> {
                                            if (fail.get()) {
                                                throw new IllegalStateException("forward failed on purpose");
                                            }
                                            return x;
                                        },
                                        "maybe-fail"))
                        .add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(ClassificationTask.CLASSES).build()));
        return model;
    }

    @Test
    void aForwardThatThrowsLeavesAutocastOffAndTheTrainerUsable() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                        .build();
        AtomicBoolean fail = new AtomicBoolean(false);
        float[] afterFailure;
        try (Model model = failingModel(fail);
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
            trainer.initialize(Runs.inputShape());
            float[] before = Runs.flatWeights(model);
            fail.set(true);
            assertRejected(IllegalStateException.class, () -> Runs.step(trainer, 0, NORMAL), "forward failed on purpose");
            NativeAutocast autocast = new NativeAutocast(LibTorchAmp.get());
            assertFalse(autocast.isEnabled(Device.cpu()), "autocast left on after a failed forward");
            assertArrayEquals(before, Runs.flatWeights(model));
            assertEquals(0, trainer.getStepCount());
            fail.set(false);
            Runs.step(trainer, 0, NORMAL);
            assertTrue(trainer.getLastOutcome().orElseThrow().applied());
            afterFailure = Runs.flatWeights(model);
        }
        // the failed forward left no trace: the step lands where it lands without it
        try (Model model = failingModel(fail);
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, NORMAL);
            assertArrayEquals(Runs.flatWeights(model), afterFailure);
        }
    }

    @Test
    void concurrentForwardsOnTwoThreadsGiveTheSingleThreadedResults() throws Exception {
        try (Model model = ClassificationTask.mlp("threads");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed"))) {
            trainer.initialize(Runs.inputShape());
            NDManager manager = trainer.getManager();
            NDArray[] inputs = {Runs.input(manager, 0, NORMAL), Runs.input(manager, 3, NORMAL)};
            float[][] expected = new float[2][];
            for (int t = 0; t < 2; t++) {
                expected[t] = trainer.forward(new NDList(inputs[t])).head().toFloatArray();
            }
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<float[]>>> futures = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    NDArray input = inputs[t];
                    Callable<List<float[]>> task =
                            () -> {
                                start.await();
                                List<float[]> outputs = new ArrayList<>();
                                for (int i = 0; i < 25; i++) {
                                    NDArray out = trainer.forward(new NDList(input)).head();
                                    assertEquals(DataType.FLOAT32, out.getDataType());
                                    outputs.add(out.toFloatArray());
                                    out.close();
                                }
                                return outputs;
                            };
                    futures.add(pool.submit(task));
                }
                start.countDown();
                for (int t = 0; t < 2; t++) {
                    for (float[] output : futures.get(t).get(120, TimeUnit.SECONDS)) {
                        assertArrayEquals(expected[t], output, "thread " + t);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            // autocast is thread-local: the test thread computes in fp32 outside the trainer
            assertEquals(DataType.FLOAT32, manager.ones(new Shape(2, 3)).matMul(manager.ones(new Shape(3, 2))).getDataType());
        }
    }

    @Test
    void closingTheTrainerTwiceIsHarmlessAndTheModelTrainsOn() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optCircuitBreaker(PrecisionBreakerConfig.defaults())
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

    // ---- cases that would abort the JVM: each runs in a child JVM ----

    private void assertExitsNormally(String scenario, Consumer<String> check) throws Exception {
        ChildJvm.Result child = ChildJvm.run(ChildJvmScenarios.class, scenario);
        assertEquals(0, child.exitCode(), "child JVM did not exit normally:\n" + child.output());
        check.accept(child.output());
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

    @Test
    void withoutTheGuardsBf16SoftmaxDoesAbortTheJvm() throws Exception {
        // the control: this is what the fp32 islands protect from, and why children are used
        ChildJvm.Result child = ChildJvm.run(ChildJvmScenarios.class, "unguarded-bf16-softmax");
        assertTrue(child.output().contains("DTYPE unknown"), child.output());
        assertTrue(child.output().contains("terminate called"), child.output());
        assertFalse(child.output().contains("SURVIVED"), child.output());
        assertNotEquals(0, child.exitCode(), child.output());
    }
}

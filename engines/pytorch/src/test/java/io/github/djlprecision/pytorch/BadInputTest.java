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
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
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

    // ---- diagnosis and clipping settings ----

    @Test
    void negativeLowScaleDiagnosisAndBadClipping() {
        assertIllegal(() -> PrecisionConfig.builder().optLowScaleDiagnosisSteps(-1), "at least 0 (0: off)");
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
        PrecisionConfig config = PrecisionConfig.builder().optPrecision("16-mixed").optPluginName("apex-turbo").build();
        try (Model model = ClassificationTask.mlp("plugin")) {
            assertRejected(
                    UnsupportedPrecisionException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                    "No precision plugin provider named 'apex-turbo'",
                    "pytorch-native");
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
                        "The model's saved precision state is invalid",
                        "remove the precision.* properties");
                assertArrayEquals(weights, Runs.flatWeights(model), String.join("=", corruption));
            }
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

    // ---- cases that would abort the JVM: each runs in a child JVM ----

    private void assertExitsNormally(String scenario, Consumer<String> check) throws Exception {
        ChildJvm.Result child = ChildJvm.run(ChildJvmScenarios.class, scenario);
        assertEquals(0, child.exitCode(), "child JVM did not exit normally:\n" + child.output());
        check.accept(child.output());
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

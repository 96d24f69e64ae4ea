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
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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

    @Test
    void minScaleOutsideItsRange() {
        GradScalerConfig.Builder builder = GradScalerConfig.builder().optMinScale(0.5f);
        for (float bad : new float[] {0f, -1f, 1e-39f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertIllegal(
                    () -> builder.optMinScale(bad),
                    "minScale must be a finite number of at least 2^-126 (1.1754944E-38), got " + bad);
        }
        assertEquals(0.5f, builder.build().getMinScale());
        assertIllegal(
                builder.optInitScale(1f).optMinScale(2f)::build,
                "minScale (2.0) cannot exceed initScale (1.0)");
    }

    @Test
    void fusedKernelsAcceptBothValues() {
        // a boolean has no bad value: false forces the pure-DJL kernels, true uses LibTorch's
        // where the engine has them (LossScalingTest.pluginReportsWhichKernelsRun)
        assertFalse(GradScalerConfig.builder().optFusedKernels(false).build().isFusedKernels());
        assertTrue(GradScalerConfig.builder().optFusedKernels(true).build().isFusedKernels());
    }

    @Test
    void nullAmpLevel() {
        assertIllegal(() -> PrecisionConfig.builder().optAmpLevel(null), "Unknown amp_level 'null'", "O0, O1, O2, O3");
    }

    @Test
    void negativeOrInfiniteClipping() {
        for (double bad : new double[] {-1, Double.POSITIVE_INFINITY}) {
            assertIllegal(
                    () -> PrecisionConfig.builder().optGradientClipping(bad, GradientClipping.Algorithm.VALUE),
                    "Gradient clip value must be a finite number above 0");
        }
    }

    @Test
    void nullOrBlankPluginName() {
        assertIllegal(() -> PrecisionConfig.builder().optPluginName(null), "Plugin name must not be null or blank");
        assertIllegal(() -> PrecisionConfig.builder().optPluginName(" "), "Plugin name must not be null or blank");
    }

    @Test
    void unknownDecorator() {
        PrecisionConfig config =
                PrecisionConfig.builder().optPrecision("16-mixed").optDecorator(() -> "no-such-decorator").build();
        try (Model model = ClassificationTask.mlp("decorator")) {
            assertRejected(
                    UnsupportedPrecisionException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                    "No plugin decorator named 'no-such-decorator' is on the class path",
                    "Add the module that provides it");
        }
    }

    @Test
    void nullWeightConversionOrAlwaysWhereNothingIsConverted() {
        assertIllegal(() -> PrecisionConfig.builder().optWeightConversion(null), "Accepted values: AUTO, ALWAYS, NEVER");
        for (PrecisionConfig.Builder builder :
                List.of(
                        PrecisionConfig.builder().optPrecision("32-true"),
                        PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O2"))) {
            assertIllegal(
                    builder.optWeightConversion(io.github.djlprecision.WeightConversion.ALWAYS)::build,
                    "Weight conversion ALWAYS converts weights to 16 bits",
                    "Use AUTO or NEVER");
        }
    }

    @Test
    void nullChannelsLast() {
        assertIllegal(() -> PrecisionConfig.builder().optChannelsLast(null), "ChannelsLast must not be null", "Accepted values: AUTO, ALWAYS, NEVER");
    }

    @Test
    void nullOptimizerFusionOrAlwaysWithoutAFusedKernel() {
        assertIllegal(() -> PrecisionConfig.builder().optOptimizerFusion(null), "Accepted values: AUTO, ALWAYS, NEVER");
        DefaultTrainingConfig nag =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(
                                Optimizer.nag()
                                        .setLearningRateTracker(Tracker.fixed(0.01f))
                                        .setMomentum(0.9f)
                                        .build())
                        .optDevices(new Device[] {Device.cpu()});
        PrecisionConfig always =
                PrecisionConfig.builder().optPrecision("16-mixed").optOptimizerFusion(OptimizerFusion.ALWAYS).build();
        try (Model model = ClassificationTask.mlp("nag")) {
            assertRejected(
                    UnsupportedPrecisionException.class,
                    () -> PrecisionTrainer.newTrainer(model, nag, always),
                    "OptimizerFusion.ALWAYS cannot fuse this optimizer: Nag has no fused kernel; SGD, Adam and AdamW have.",
                    "Use OptimizerFusion.AUTO or NEVER");
            // nothing of the model was taken: the same model trains with the default
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, nag, PrecisionConfig.of("16-mixed"))) {
                trainer.initialize(new Shape(1, ClassificationTask.FEATURES));
                assertFalse(trainer.getPlugin().getPath().contains("optimizer: fused"), trainer.getPlugin().getPath());
            }
        }
    }

    @Test
    void nativeAutocastDeclinedWhereOnlyAutocastCanRun() {
        for (PrecisionConfig.Builder builder :
                List.of(
                        PrecisionConfig.builder().optPrecision("bf16-mixed"),
                        PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O1"))) {
            PrecisionConfig config = builder.optNativeAutocast(false).build();
            try (Model model = ClassificationTask.mlp("declined")) {
                assertRejected(
                        UnsupportedPrecisionException.class,
                        () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config),
                        "needs LibTorch's native autocast, which cannot be used: native autocast declined");
            }
        }
        // 16-mixed falls back to Apex O2 instead, and says so
        try (Model model = ClassificationTask.mlp("declined");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                ClassificationTask.adamConfig(),
                                PrecisionConfig.builder().optPrecision("16-mixed").optNativeAutocast(false).build())) {
            assertTrue(trainer.getPlugin().getPath().contains("fallback from native autocast"), trainer.getPlugin().getPath());
        }
    }

    /**
     * Every public setting of {@link PrecisionConfig} and {@link GradScalerConfig} (each {@code
     * opt*} and {@code build}) has a case in this class: a new setting fails here until it has one.
     */
    @Test
    void everyPublicSettingHasABadInputCase() throws Exception {
        Map<String, String> covered = new TreeMap<>();
        covered.put("PrecisionConfig.optPrecision(String)", "nullPrecision blankPrecision unknownPrecision wrongCasePrecision");
        covered.put("PrecisionConfig.optPrecision(Precision)", "nullPrecision");
        covered.put("PrecisionConfig.optAmpLevel(String)", "unknownAmpLevel nullAmpLevel");
        covered.put("PrecisionConfig.optGradScaler(GradScalerConfig)", "nullScalerSettings");
        covered.put("PrecisionConfig.optGradientClipping(double,Algorithm)", "negativeLowScaleDiagnosisAndBadClipping negativeOrInfiniteClipping");
        covered.put("PrecisionConfig.optNativeAutocast(boolean)", "nativeAutocastDeclinedWhereOnlyAutocastCanRun");
        covered.put("PrecisionConfig.optPluginName(String)", "unknownPluginName nullOrBlankPluginName");
        covered.put("PrecisionConfig.optDecorator(PluginDecoratorConfig)", "unknownDecorator");
        covered.put("PrecisionConfig.optLowScaleDiagnosisSteps(int)", "negativeLowScaleDiagnosisAndBadClipping");
        covered.put("PrecisionConfig.optWeightConversion(WeightConversion)", "nullWeightConversionOrAlwaysWhereNothingIsConverted");
        covered.put("PrecisionConfig.optOptimizerFusion(OptimizerFusion)", "nullOptimizerFusionOrAlwaysWithoutAFusedKernel");
        covered.put("PrecisionConfig.optChannelsLast(ChannelsLast)", "nullChannelsLast");
        covered.put("PrecisionConfig.build()", "apexLevelWithATruePrecision nullWeightConversionOrAlwaysWhereNothingIsConverted");
        covered.put("GradScalerConfig.optInitScale(float)", "nonPositiveOrNonFiniteInitScale");
        covered.put("GradScalerConfig.optGrowthFactor(float)", "growthFactorAtMostOne");
        covered.put("GradScalerConfig.optBackoffFactor(float)", "backoffOutsideTheOpenUnitInterval");
        covered.put("GradScalerConfig.optGrowthInterval(int)", "growthIntervalBelowOne");
        covered.put("GradScalerConfig.optMinScale(float)", "minScaleOutsideItsRange");
        covered.put("GradScalerConfig.optFusedKernels(boolean)", "fusedKernelsAcceptBothValues");
        covered.put("GradScalerConfig.build()", "minScaleOutsideItsRange");
        Map<String, String> settings = new TreeMap<>();
        for (Class<?> builder : List.of(PrecisionConfig.Builder.class, GradScalerConfig.Builder.class)) {
            for (java.lang.reflect.Method method : builder.getDeclaredMethods()) {
                if (java.lang.reflect.Modifier.isPublic(method.getModifiers())) {
                    settings.put(SettingNames.of(builder, method), "");
                }
            }
        }
        assertEquals(settings.keySet(), covered.keySet(), "settings without a bad-input case, or cases for settings that are gone");
        for (String tests : covered.values()) {
            for (String test : tests.split(" ")) {
                assertTrue(BadInputTest.class.getDeclaredMethod(test).isAnnotationPresent(Test.class), test);
            }
        }
    }

    // ---- restored state: every key the trainer writes, validated for what it means ----

    /** One bad saved value and what the refusal must say. */
    private record BadState(String key, String value, String... fragments) {}

    /** The properties a 16-mixed trainer writes after one step: every restored key. */
    private static Map<String, String> savedState() {
        try (Model model = ClassificationTask.mlp("state");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed"))) {
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, NORMAL);
            trainer.writeCheckpointState();
            return new TreeMap<>(model.getProperties());
        }
    }

    @Test
    void everyRestoredStateKeyIsValidatedWithItsAcceptedRange() {
        String scale = "accepted: a finite number in [scaler.min_scale 1.0, 3.4028235E38]";
        String tracker = "accepted: a whole number in [0, 1999] (below scaler.growth_interval 2000)";
        String minScale = "accepted: a number in [2^-126 (1.1754944E-38), scaler.init_scale 65536.0]";
        List<BadState> cases =
                List.of(
                        new BadState("precision.value", "16-mixd", "Unknown precision '16-mixd'", "Accepted values: 64-true, 32-true"),
                        new BadState("precision.value", "16", "a legacy alias; accepted: 16-mixed"),
                        new BadState("precision.steps", "many", "not a whole number; accepted: a whole number in [0, 9223372036854775807]"),
                        new BadState("precision.steps", "-1", "accepted: a whole number in [0, 9223372036854775807]"),
                        new BadState("precision.skipped", "2", "accepted: a whole number in [0, precision.steps 1]"),
                        new BadState("precision.skipped", "-3", "accepted: a whole number in [0, precision.steps 1]"),
                        new BadState("precision.scaler.scale", "abc", "scaler.scale='abc' is invalid", scale),
                        new BadState("precision.scaler.scale", "NaN", scale),
                        new BadState("precision.scaler.scale", "-4", scale),
                        new BadState("precision.scaler.scale", "Infinity", scale),
                        new BadState("precision.scaler.scale", "0.5", scale),
                        new BadState("precision.scaler.growth_tracker", "-1", tracker),
                        new BadState("precision.scaler.growth_tracker", "2000", tracker),
                        new BadState("precision.scaler.growth_tracker", "1.5", tracker),
                        new BadState("precision.scaler.init_scale", "0", "accepted: a finite number above 0"),
                        new BadState("precision.scaler.init_scale", "Infinity", "accepted: a finite number above 0"),
                        new BadState("precision.scaler.growth_factor", "1", "accepted: a finite number above 1"),
                        new BadState("precision.scaler.growth_factor", "two", "accepted: a finite number above 1"),
                        new BadState("precision.scaler.backoff_factor", "2", "accepted: a number strictly between 0 and 1"),
                        new BadState("precision.scaler.backoff_factor", "0", "accepted: a number strictly between 0 and 1"),
                        new BadState("precision.scaler.growth_interval", "0", "accepted: a whole number of at least 1"),
                        new BadState("precision.scaler.growth_interval", "2.5", "accepted: a whole number of at least 1"),
                        new BadState("precision.scaler.min_scale", "0", minScale),
                        new BadState("precision.scaler.min_scale", "1e-39", minScale),
                        new BadState("precision.scaler.min_scale", "131072", minScale),
                        new BadState("precision.scaler.scale", null, "has scaler.", "but no scaler.scale; accepted: all of the scaler's keys, or none"));
        Map<String, String> saved = savedState();
        // the cases cover every key the trainer writes
        Set<String> written = new TreeSet<>();
        saved.keySet().stream().filter(k -> k.startsWith("precision.")).forEach(written::add);
        Set<String> checked = new TreeSet<>();
        cases.forEach(c -> checked.add(c.key()));
        assertEquals(written, checked);
        for (BadState bad : cases) {
            try (Model model = ClassificationTask.mlp("state")) {
                saved.forEach(model::setProperty);
                if (bad.value() == null) {
                    model.getProperties().remove(bad.key());
                } else {
                    model.setProperty(bad.key(), bad.value());
                }
                String[] fragments = new String[bad.fragments().length + 2];
                fragments[0] = "The model's saved precision state is invalid";
                fragments[1] = "remove the precision.* properties";
                System.arraycopy(bad.fragments(), 0, fragments, 2, bad.fragments().length);
                assertRejected(
                        IllegalArgumentException.class,
                        () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed")),
                        fragments);
            }
        }
        // a precision without loss scaling refuses scaler keys it never writes
        try (Model model = ClassificationTask.mlp("state")) {
            model.setProperty("precision.value", "bf16-mixed");
            model.setProperty("precision.scaler.scale", "1024.0");
            assertRejected(
                    IllegalArgumentException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("bf16-mixed")),
                    "bf16-mixed keeps no loss-scaler state",
                    "accepted: no scaler.* keys");
        }
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

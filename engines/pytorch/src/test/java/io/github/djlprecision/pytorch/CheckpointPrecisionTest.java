package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.NoopTranslator;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, case 3: a checkpoint saved in one precision, loaded and asked to train or run in
 * another. Every precision checks the parameters' data types up front and either runs them (16-bit
 * inference converts fp32 weights to fp16 once and says so in its path) or refuses, naming the
 * parameter, its type, the precision it was saved in and what to run instead, before anything is
 * allocated and with the model unchanged.
 */
class CheckpointPrecisionTest {

    @TempDir Path dir;

    static final List<String> SETTINGS =
            List.of("32-true", "64-true", "16-true", "16-mixed", "bf16-mixed", "O0", "O1", "O2", "O3");

    static PrecisionConfig config(String setting) {
        return setting.startsWith("O")
                ? PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel(setting).build()
                : PrecisionConfig.of(setting);
    }

    /** SGD: Adam's default epsilon is refused in fp16 (issue 15, case 4). */
    static DefaultTrainingConfig sgd() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build())
                .optDevices(new Device[] {Device.cpu()});
    }

    private void save(String setting) throws Exception {
        try (Model model = ClassificationTask.mlp("saved");
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, sgd(), config(setting))) {
            trainer.initialize(Runs.inputShape());
            step(trainer);
            trainer.writeCheckpointState();
            model.save(dir, setting);
        }
    }

    private Model load(String setting) throws Exception {
        Model model = ClassificationTask.mlp("saved");
        model.load(dir, setting);
        return model;
    }

    private static void step(PrecisionTrainer trainer) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            Fixture.step(trainer, Runs.input(scope, 0, Runs.Batch.NORMAL), Runs.labels(scope));
        }
    }

    /** Refused up front: nothing allocated, nothing attached, weights and block as they were. */
    private static UnsupportedPrecisionException assertRefusedCleanly(Model model, Runnable call) {
        ManagerTree before = ManagerTree.of(model.getNDManager());
        float[] weights = Runs.flatWeights(model);
        Block block = model.getBlock();
        UnsupportedPrecisionException e = assertThrows(UnsupportedPrecisionException.class, call::run);
        assertEquals(before, ManagerTree.of(model.getNDManager()), e.getMessage());
        assertArrayEquals(weights, Runs.flatWeights(model));
        assertSame(block, model.getBlock());
        return e;
    }

    @Test
    void trainedIn16TrueLoadedFor32TrueIsRefusedWithTheFix() throws Exception {
        save("16-true");
        try (Model model = load("16-true")) {
            assertEquals(DataType.FLOAT16, model.getBlock().getParameters().valueAt(0).getArray().getDataType());
            for (Runnable call :
                    List.<Runnable>of(
                            () -> PrecisionTrainer.newTrainer(model, sgd(), config("32-true")),
                            () -> PrecisionBlock.wrap(model, config("32-true")))) {
                UnsupportedPrecisionException e = assertRefusedCleanly(model, call);
                assertTrue(e.getMessage().contains("float16"), e.getMessage());
                assertTrue(e.getMessage().contains("(the model was saved training in 16-true)"), e.getMessage());
                assertTrue(e.getMessage().contains("32-true"), e.getMessage());
                assertTrue(e.getMessage().contains("DJL cannot convert existing ones"), e.getMessage());
                assertTrue(e.getMessage().contains("'16-true'"), e.getMessage());
            }
            UnsupportedPrecisionException e64 =
                    assertRefusedCleanly(model, () -> PrecisionTrainer.newTrainer(model, sgd(), config("64-true")));
            assertTrue(e64.getMessage().contains("(the model was saved training in 16-true)"), e64.getMessage());
            assertTrue(e64.getMessage().contains("holds float16 parameters ('16-true')"), e64.getMessage());
            // the fix works: in its own precision the model trains on
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, sgd(), config("16-true"))) {
                trainer.initialize(Runs.inputShape());
                assertEquals(1, trainer.getStepCount());
                step(trainer);
                assertTrue(trainer.getLastOutcome().orElseThrow().applied());
            }
        }
    }

    /**
     * Every setting on checkpoints saved with fp32, fp64 and fp16 parameters, for training and for
     * inference: what runs and what is refused. Each accepted cell runs a step or a forward pass.
     */
    @Test
    void everySettingChecksTheParameterTypesOfALoadedModel() throws Exception {
        Map<String, String> verdicts = new TreeMap<>();
        for (String saved : List.of("32-true", "64-true", "16-true")) {
            save(saved);
            for (String setting : SETTINGS) {
                for (boolean training : new boolean[] {true, false}) {
                    String cell = saved + (training ? " train " : " infer ") + setting;
                    try (Model model = load(saved)) {
                        Runnable call =
                                training
                                        ? () -> {
                                            try (PrecisionTrainer trainer =
                                                    PrecisionTrainer.newTrainer(model, sgd(), config(setting))) {
                                                trainer.initialize(Runs.inputShape());
                                                step(trainer);
                                            }
                                        }
                                        : () -> predict(model, setting);
                        ManagerTree before = ManagerTree.of(model.getNDManager());
                        try {
                            call.run();
                            verdicts.put(cell, "runs");
                        } catch (UnsupportedPrecisionException e) {
                            assertEquals(before, ManagerTree.of(model.getNDManager()), cell);
                            assertTrue(e.getMessage().contains("Run ") || e.getMessage().contains("Train it in"), cell + ": " + e.getMessage());
                            verdicts.put(cell, "refused");
                        }
                    }
                }
            }
        }
        List<String> runs = new ArrayList<>();
        verdicts.forEach((cell, verdict) -> {
            if (verdict.equals("runs")) {
                runs.add(cell);
            }
        });
        assertEquals(
                List.of(
                        "16-true infer 16-mixed",
                        "16-true infer 16-true",
                        "16-true infer O1",
                        "16-true infer O2",
                        "16-true infer O3",
                        "16-true train 16-true",
                        "16-true train O3",
                        "32-true infer 16-mixed",
                        "32-true infer 16-true",
                        "32-true infer 32-true",
                        "32-true infer O0",
                        "32-true infer O1",
                        "32-true infer O2",
                        "32-true infer O3",
                        "32-true infer bf16-mixed",
                        "32-true train 16-mixed",
                        "32-true train 32-true",
                        "32-true train O0",
                        "32-true train O1",
                        "32-true train O2",
                        "32-true train bf16-mixed",
                        "64-true infer 64-true",
                        "64-true train 64-true"),
                runs);
        assertEquals(2 * 3 * SETTINGS.size(), verdicts.size());
    }

    private static void predict(Model model, String setting) {
        PrecisionBlock block = PrecisionBlock.wrap(model, config(setting));
        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                NDManager scope = model.getNDManager().newSubManager()) {
            NDArray out = predictor.predict(new NDList(Runs.input(scope, 0, Runs.Batch.NORMAL))).head();
            assertTrue(out.getDataType() == DataType.FLOAT32 || out.getDataType() == DataType.FLOAT64, block.getPath());
            out.close();
        } catch (ai.djl.translate.TranslateException e) {
            throw new AssertionError(setting + " accepted but failed: " + e, e);
        }
    }
}

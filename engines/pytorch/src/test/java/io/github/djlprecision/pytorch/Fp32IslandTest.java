package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.LSTM;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fp32 islands under 16-mixed on CPU, where LSTM cannot run in fp16 (oneDNN): placed without
 * changing names or the saved format, shared rather than doubled, and removed on close. (bf16
 * islands are tested in child JVMs, {@link Bf16SafetyTest}.)
 */
class Fp32IslandTest {

    private static final PrecisionConfig HALF = PrecisionConfig.of("16-mixed");

    /** LSTM over (batch 8, 4 steps, 4 features), then DJL's flatten and a Linear to 4 classes. */
    private static Model lstmModel(String name) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
        model.setBlock(
                new SequentialBlock()
                        .add(LSTM.builder().setStateSize(4).setNumLayers(1).build())
                        .add(Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(ClassificationTask.CLASSES).build()));
        return model;
    }

    private static Shape sequenceShape() {
        return new Shape(Runs.BATCH, 4, 4);
    }

    private static Block firstChild(Model model) {
        return model.getBlock().getChildren().get(0).getValue();
    }

    @Test
    void lstmTrainsIn16MixedOnCpuAsAnIslandThatCloseRemoves() {
        try (Model model = lstmModel("lstm")) {
            Block lstm = firstChild(model);
            List<String> names = model.getBlock().getParameters().keys();
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), HALF)) {
                assertEquals(
                        "native-autocast(cpu, float16, loss scaling: fused; fp32 islands:"
                                + " 01LSTM)",
                        trainer.getPlugin().getPath());
                trainer.initialize(sequenceShape());
                Fp32Island island = assertInstanceOf(Fp32Island.class, firstChild(model));
                assertSame(lstm, island.getBlock());
                assertEquals(names, model.getBlock().getParameters().keys());
                float[] before = Runs.flatWeights(model);
                for (int i = 0; i < 3; i++) {
                    Sequences.step(trainer, i);
                }
                float[] after = Runs.flatWeights(model);
                assertTrue(Runs.allFinite(after));
                assertFalse(Arrays.equals(before, after), "the weights trained");
            }
            assertSame(lstm, firstChild(model), "the original child is back after close");
        }
    }

    /** A second open trainer on the model is refused; the first one's island stays until it closes. */
    @Test
    void aSecondTrainerIsRefusedAndTheFirstRestoresTheChild() {
        try (Model model = lstmModel("shared")) {
            Block lstm = firstChild(model);
            PrecisionTrainer first =
                    PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), HALF);
            first.initialize(sequenceShape());
            Block island = firstChild(model);
            assertThrows(
                    IllegalStateException.class,
                    () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), HALF));
            assertSame(island, firstChild(model), "the refused trainer changed nothing");
            assertSame(lstm, ((Fp32Island) island).getBlock());
            Sequences.step(first, 0);
            first.close();
            assertSame(lstm, firstChild(model));
        }
    }

    @Test
    void parametersSavedWhileWrappedLoadIntoTheUnwrappedModel(@TempDir Path dir)
            throws IOException, MalformedModelException {
        float[] saved;
        try (Model model = lstmModel("saved");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), HALF)) {
            trainer.initialize(sequenceShape());
            Sequences.step(trainer, 0);
            assertInstanceOf(Fp32Island.class, firstChild(model));
            model.save(dir, "saved");
            saved = Runs.flatWeights(model);
        }
        try (Model loaded = lstmModel("saved")) {
            loaded.load(dir, "saved");
            assertArrayEquals(saved, Runs.flatWeights(loaded));
        }
    }

    @Test
    void aRootThatHoldsAnLstmRunsWhollyInFp32() {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        try (Model model = Model.newInstance("root", Device.cpu(), "PyTorch")) {
            model.setBlock(new Sequences.LstmClassifier());
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), HALF)) {
                assertTrue(
                        trainer.getPlugin()
                                .getPath()
                                .endsWith("fp32 islands: the whole model (LstmClassifier))"),
                        trainer.getPlugin().getPath());
                trainer.initialize(sequenceShape());
                float loss = Sequences.step(trainer, 0);
                assertTrue(Float.isFinite(loss));
            }
        }
    }
}

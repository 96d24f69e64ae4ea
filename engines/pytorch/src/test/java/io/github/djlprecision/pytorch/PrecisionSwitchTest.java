package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints the library writes are checkpoints it accepts, across the documented switches of
 * precision; what it cannot carry is refused with the reason, never dropped: the breaker's state
 * without the breaker, a loss scale in a precision that keeps none, a named plugin of another
 * precision.
 */
class PrecisionSwitchTest {

    @TempDir Path dir;

    private static void train(Model model, String precision, int from) {
        try (PrecisionTrainer trainer =
                PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), PrecisionConfig.of(precision))) {
            trainer.initialize(Runs.inputShape());
            for (int i = from; i < from + 2; i++) {
                Runs.step(trainer, i, Runs.Batch.NORMAL);
            }
        }
    }

    /**
     * 16-mixed, then the other fp32-weight precisions from its checkpoint (the way out of fp16's
     * range the docs recommend): each save holds only the precision it was trained in, and
     * resuming in it is accepted. Before, the 16-mixed scaler keys stayed, and bf16-mixed refused
     * its own checkpoint while 32-true took them silently.
     */
    @ParameterizedTest
    @ValueSource(strings = {"bf16-mixed", "32-true"})
    void aCheckpointSwitchedFrom16MixedResumesInTheNewPrecision(String next) throws Exception {
        try (Model model = ClassificationTask.mlp("switch")) {
            train(model, "16-mixed", 0);
            model.save(dir, "switch");
        }
        try (Model model = ClassificationTask.mlp("switch")) {
            model.load(dir, "switch");
            train(model, next, 2);
            model.save(dir, "switch");
        }
        try (Model model = ClassificationTask.mlp("switch")) {
            model.load(dir, "switch");
            assertEquals(next, model.getProperty("precision.value"));
            assertNull(model.getProperty("precision.scaler.scale"), "stale scaler state kept");
            assertEquals("4", model.getProperty("precision.steps"));
            train(model, next, 4);
        }
    }

    @Test
    void staleScalerKeysInAPrecisionWithoutScalingAreRefusedWithTheKey() throws Exception {
        try (Model model = ClassificationTask.mlp("stale")) {
            train(model, "32-true", 0);
            model.setProperty("precision.scaler.scale", "1024.0");
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), PrecisionConfig.of("32-true")));
            assertTrue(e.getMessage().contains("32-true keeps no loss-scaler state"), e.getMessage());
            assertTrue(e.getMessage().contains("scaler.scale"), e.getMessage());
        }
    }

    /**
     * A checkpoint the circuit breaker wrote, resumed without the breaker: refused with the reason.
     * Before, the breaker's keys were ignored and training went back to fp16, where every step of
     * that data overflowed.
     */
    @Test
    void aBreakerCheckpointWithoutTheBreakerIsRefused() throws Exception {
        try (Model model = ClassificationTask.mlp("breaker")) {
            train(model, "16-mixed", 0);
            model.setProperty("precision.breaker.active", "bf16-mixed");
            model.setProperty("precision.breaker.16-mixed.state", "OPEN");
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), PrecisionConfig.of("16-mixed")));
            assertTrue(e.getMessage().contains("saved with the precision circuit breaker on"), e.getMessage());
            assertTrue(e.getMessage().contains("precision.breaker.active=bf16-mixed"), e.getMessage());
        }
    }

    /** optPluginName naming the fp32 provider for 16-mixed would train fp32: refused. */
    @Test
    void aNamedPluginOfAnotherPrecisionIsRefused() {
        try (Model model = ClassificationTask.mlp("named")) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    PrecisionTrainer.newTrainer(
                                            model,
                                            CheckpointResumeTest.sgd(),
                                            PrecisionConfig.builder().optPrecision("16-mixed").optPluginName("fp32").build()));
            assertTrue(e.getMessage().contains("made a plugin for '32-true', not for the requested '16-mixed'"), e.getMessage());
        }
    }
}

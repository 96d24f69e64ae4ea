package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import org.junit.jupiter.api.Test;

/**
 * Settings and calls that would silently do something else than asked are refused with their own
 * message: an empty device list, a second open trainer on one model, a trainer used after close,
 * a loss scale so small that every gradient underflows.
 */
class SmallRefusalsTest {

    @Test
    void anEmptyDeviceListIsRefusedNotTheCpu() {
        DefaultTrainingConfig config = CheckpointResumeTest.sgd().optDevices(new Device[0]);
        try (Model model = ClassificationTask.mlp("no-devices")) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-mixed")));
            assertTrue(e.getMessage().contains("names no device"), e.getMessage());
        }
    }

    @Test
    void aSecondOpenTrainerOnOneModelIsRefusedUntilTheFirstCloses() {
        try (Model model = ClassificationTask.mlp("two-trainers")) {
            try (PrecisionTrainer first =
                    PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), PrecisionConfig.of("16-mixed"))) {
                IllegalStateException e =
                        assertThrows(
                                IllegalStateException.class,
                                () -> PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), PrecisionConfig.of("32-true")));
                assertTrue(e.getMessage().contains("already has an open PrecisionTrainer"), e.getMessage());
                first.initialize(Runs.inputShape());
                Runs.step(first, 0, Runs.Batch.NORMAL);
            }
            try (PrecisionTrainer second =
                    PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), PrecisionConfig.of("16-mixed"))) {
                Runs.step(second, 1, Runs.Batch.NORMAL);
            }
        }
    }

    @Test
    void aClosedTrainerSaysItIsClosed() {
        try (Model model = ClassificationTask.mlp("closed");
                NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), PrecisionConfig.of("16-mixed"));
            trainer.initialize(Runs.inputShape());
            Runs.step(trainer, 0, Runs.Batch.NORMAL);
            trainer.close();
            for (Runnable use :
                    new Runnable[] {
                        trainer::step,
                        trainer::newGradientCollector,
                        () -> trainer.forward(new NDList(Runs.input(data, 1, Runs.Batch.NORMAL)))
                    }) {
                IllegalStateException e = assertThrows(IllegalStateException.class, use::run);
                assertTrue(e.getMessage().startsWith("This PrecisionTrainer is closed"), e.getMessage());
            }
        }
    }

    @Test
    void gradientsUnderflowedByATinyLossScaleSayWhy() {
        PrecisionConfig tiny =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(GradScalerConfig.builder().optMinScale(1e-30f).optInitScale(1e-30f).build())
                        .build();
        try (Model model = ClassificationTask.mlp("tiny-scale");
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, CheckpointResumeTest.sgd(), tiny)) {
            trainer.initialize(Runs.inputShape());
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> Runs.step(trainer, 0, Runs.Batch.NORMAL));
            assertTrue(e.getMessage().contains("The loss scale is 1.0E-30"), e.getMessage());
        }
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import ai.djl.training.EasyTrain;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, case 8: clear, early messages for a GPU the engine cannot see (a GPU device, or a model
 * made on one, on a machine without CUDA: LibTorch's own error was "Could not run
 * 'aten::empty.memory_format' ... CUDA backend"), and for a trainer used before {@code
 * initialize} (it was "mat1 and mat2 must have the same dtype").
 */
class DeviceAndInitializeTest {

    @TempDir Path dir;

    private static void assumeNoGpu() {
        Assumptions.assumeTrue(
                Engine.getEngine("PyTorch").getGpuCount() == 0, "runs where no GPU is visible");
    }

    @Test
    void aGpuDeviceOnAMachineWithoutOneIsRefusedBeforeAnythingNative() {
        assumeNoGpu();
        for (String setting : CheckpointPrecisionTest.SETTINGS) {
            try (Model model = ClassificationTask.mlp("gpu-config")) {
                ManagerTree before = ManagerTree.of(model.getNDManager());
                UnsupportedPrecisionException e =
                        assertThrows(
                                UnsupportedPrecisionException.class,
                                () ->
                                        PrecisionTrainer.newTrainer(
                                                model,
                                                CheckpointPrecisionTest.sgd().optDevices(new Device[] {Device.gpu(0)}),
                                                CheckpointPrecisionTest.config(setting)));
                assertEquals(1, e.getProblems().size(), e.getMessage());
                assertTrue(
                        e.getMessage().startsWith("Device gpu(0), which is not available: the PyTorch engine sees 0 GPUs on this machine"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("Use Device.cpu()"), e.getMessage());
                assertEquals(before, ManagerTree.of(model.getNDManager()), setting);
            }
        }
        // inference asks the same way
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () ->
                                PrecisionPlugins.create(
                                        new PluginRequest(
                                                "PyTorch",
                                                Device.gpu(1),
                                                PrecisionConfig.of("16-mixed"),
                                                PluginRequest.Purpose.INFERENCE)));
        assertTrue(e.getMessage().startsWith("Device gpu(1), which is not available"), e.getMessage());
    }

    @Test
    void aModelMadeOnAGpuThatIsNotThereIsRefused() {
        assumeNoGpu();
        for (String setting : CheckpointPrecisionTest.SETTINGS) {
            try (Model model = Model.newInstance("made-on-gpu", Device.gpu(), "PyTorch")) {
                model.setBlock(Linear.builder().setUnits(2).build());
                ManagerTree before = ManagerTree.of(model.getNDManager());
                UnsupportedPrecisionException e =
                        assertThrows(
                                UnsupportedPrecisionException.class,
                                () -> PrecisionTrainer.newTrainer(model, CheckpointPrecisionTest.sgd(), CheckpointPrecisionTest.config(setting)));
                assertEquals(
                        "Model 'made-on-gpu' was created on gpu(0), which is not available: the PyTorch"
                                + " engine sees 0 GPUs on this machine (no CUDA driver, or the engine's"
                                + " CPU-only natives). Create it on an available device, e.g."
                                + " Model.newInstance(name, Device.cpu()).",
                        e.getMessage());
                assertEquals(before, ManagerTree.of(model.getNDManager()), setting);
            }
        }
    }

    @Test
    void aTrainerUsedBeforeInitializeSaysSo() throws Exception {
        for (String setting : CheckpointPrecisionTest.SETTINGS) {
            try (Model model = ClassificationTask.mlp("early");
                    PrecisionTrainer trainer =
                            PrecisionTrainer.newTrainer(model, CheckpointPrecisionTest.sgd(), CheckpointPrecisionTest.config(setting));
                    NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                IllegalStateException e =
                        assertThrows(
                                IllegalStateException.class,
                                () -> trainer.forward(new NDList(Runs.input(data, 0, Runs.Batch.NORMAL))));
                assertTrue(
                        e.getMessage().startsWith("Call trainer.initialize(inputShapes) before the first forward pass: djl-precision creates the parameters in"),
                        e.getMessage());
                // EasyTrain.fit says the same, on its first batch
                IllegalStateException fit =
                        assertThrows(
                                IllegalStateException.class,
                                () -> EasyTrain.fit(trainer, 1, ClassificationTask.blobs(data, 32, 8), null));
                assertEquals(e.getMessage(), fit.getMessage(), setting);
                // a step before any forward pass has nothing to update: refused, nothing counted
                IllegalStateException step = assertThrows(IllegalStateException.class, trainer::step);
                assertTrue(
                        step.getMessage().startsWith("step() before any forward pass: call trainer.initialize(inputShapes)"),
                        step.getMessage());
                assertEquals(0, trainer.getStepCount(), setting);
                assertTrue(trainer.getLastOutcome().isEmpty(), setting);
            }
        }
        // a loaded model's parameters exist: as in DJL it trains without initialize, the
        // precision put in place on the first forward (here Apex O2's fp16 working copies)
        try (Model model = ClassificationTask.mlp("loaded")) {
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, CheckpointPrecisionTest.sgd(), PrecisionConfig.of("32-true"))) {
                trainer.initialize(Runs.inputShape());
            }
            model.save(dir, "loaded");
        }
        try (Model model = ClassificationTask.mlp("loaded");
                NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            model.load(dir, "loaded");
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, CheckpointPrecisionTest.sgd(), CheckpointPrecisionTest.config("O2"))) {
                Runs.step(trainer, 0, Runs.Batch.NORMAL);
                assertTrue(trainer.getLastOutcome().orElseThrow().applied());
                ai.djl.nn.Parameter weight = model.getBlock().getParameters().valueAt(0);
                assertEquals(DataType.FLOAT16, trainer.getWorkingParameter(weight).getDataType());
                assertEquals(DataType.FLOAT32, weight.getArray().getDataType());
            }
        }
    }
}

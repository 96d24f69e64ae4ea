package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.TrainingResult;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.EarlyStoppingListener;
import ai.djl.training.listener.SaveModelTrainingListener;
import ai.djl.training.listener.TrainingListener;
import io.github.djlprecision.training.PrecisionTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, case 5: the promise "keep EasyTrain.fit, listeners and metrics" in every precision the
 * library accepts. {@code 64-true} broke DJL's loss and evaluator accumulators ("DataType mismatch,
 * Required float, Actual float64"); they now get float32 values, while the loss backward runs on
 * stays in the model's type.
 */
class StandardListenersTest {

    @TempDir Path dir;

    static DefaultTrainingConfig config(TrainingListener... listeners) {
        return CheckpointPrecisionTest.sgd()
                .addEvaluator(new Accuracy())
                .addTrainingListeners(listeners);
    }

    private TrainingResult fit(String setting, DefaultTrainingConfig config) throws Exception {
        try (Model model = ClassificationTask.mlp("listeners-" + setting);
                NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config, CheckpointPrecisionTest.config(setting))) {
            trainer.initialize(Runs.inputShape());
            ArrayDataset train = ClassificationTask.blobs(data, 128, 32);
            ArrayDataset validate = ClassificationTask.blobs(data, 64, 32);
            EasyTrain.fit(trainer, 2, train, validate);
            return trainer.getTrainingResult();
        }
    }

    private static void assertSensible(String what, TrainingResult result) {
        assertEquals(2, result.getEpoch(), what);
        assertTrue(Float.isFinite(result.getTrainLoss()) && result.getTrainLoss() > 0, what + " " + result);
        assertTrue(Float.isFinite(result.getValidateLoss()) && result.getValidateLoss() > 0, what + " " + result);
        float accuracy = result.getTrainEvaluation("Accuracy");
        assertTrue(accuracy >= 0 && accuracy <= 1, what + " " + result);
    }

    @Test
    void everyStandardListenerWorksInEveryPrecision() throws Exception {
        for (String setting : CheckpointPrecisionTest.SETTINGS) {
            assertSensible(setting + " basic()", fit(setting, config(TrainingListener.Defaults.basic())));
            assertSensible(setting + " logging()", fit(setting, config(TrainingListener.Defaults.logging())));
            // the rest of DJL's listeners: memory and time measures, saving, early stopping
            Path out = dir.resolve(setting);
            DefaultTrainingConfig all =
                    config(TrainingListener.Defaults.logging(out.toString()))
                            .addTrainingListeners(
                                    new SaveModelTrainingListener(out.toString()),
                                    EarlyStoppingListener.builder().build());
            assertSensible(setting + " all", fit(setting, all));
            try (var saved = Files.list(out)) {
                assertTrue(saved.anyMatch(p -> p.toString().endsWith(".params")), setting + ": no checkpoint");
            }
        }
    }

    @Test
    void theLossBackwardRunsOnStaysFloat64() {
        try (Model model = ClassificationTask.mlp("fp64");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config(TrainingListener.Defaults.basic()), CheckpointPrecisionTest.config("64-true"))) {
            trainer.initialize(Runs.inputShape());
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDList predictions = trainer.forward(new NDList(Runs.input(scope, 0, Runs.Batch.NORMAL)));
                assertEquals(DataType.FLOAT64, predictions.head().getDataType());
                NDArray loss = trainer.getLoss().evaluate(new NDList(Runs.labels(scope)), predictions);
                assertEquals(DataType.FLOAT64, loss.getDataType());
                // the accumulators read the same loss, in fp32
                String key = "check";
                trainer.getLoss().addAccumulator(key);
                trainer.getLoss().updateAccumulators(new String[] {key}, new NDList(Runs.labels(scope)), predictions);
                assertEquals(loss.toType(DataType.FLOAT32, false).getFloat(), trainer.getLoss().getAccumulator(key), 1e-6f);
                // no fp32 copy outlives the update
                assertEquals(List.of(), scope.getManagedArrays().stream().filter(a -> a.getDataType() == DataType.FLOAT32 && a.getShape().equals(predictions.head().getShape())).toList());
            }
        }
    }
}

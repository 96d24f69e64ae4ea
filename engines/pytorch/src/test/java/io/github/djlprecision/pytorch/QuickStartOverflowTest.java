package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionListeners;
import io.github.djlprecision.training.PrecisionTrainer;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start (EasyTrain.fit, Adam, the logging listeners) meeting a batch that
 * overflows fp16. With DJL's {@code TrainingListener.Defaults.logging()} its divergence check ends
 * training at the first inf loss, before the skipped step and the loss scaler can act; with {@link
 * PrecisionListeners#logging()} the step is skipped and training goes on, while a NaN loss in a
 * precision that applies it still ends training as DJL's check would.
 */
class QuickStartOverflowTest {

    /** 128 samples in 4 batches of 32, in order; the second batch is {@code scale} times larger. */
    private static ArrayDataset data(NDManager manager, float scale) {
        float[] x = new float[128 * ClassificationTask.FEATURES];
        float[] y = new float[128];
        for (int i = 0; i < 128; i++) {
            y[i] = i % ClassificationTask.CLASSES;
            for (int j = 0; j < ClassificationTask.FEATURES; j++) {
                float value = ((i * 7 + j * 3) % 11) / 11f + (j % ClassificationTask.CLASSES == i % ClassificationTask.CLASSES ? 1f : 0f);
                x[i * ClassificationTask.FEATURES + j] = i >= 32 && i < 64 ? value * scale : value;
            }
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(x, new Shape(128, ClassificationTask.FEATURES)))
                .optLabels(manager.create(y, new Shape(128)))
                .setSampling(32, false)
                .build();
    }

    private static void fit(String precision, float scale, TrainingListener... listeners) throws Exception {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(Optimizer.adam().build())
                        .optDevices(new Device[] {Device.cpu()})
                        .addTrainingListeners(listeners);
        try (Model model = ClassificationTask.mlp("quick-start");
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of(precision))) {
            trainer.initialize(new Shape(1, ClassificationTask.FEATURES));
            EasyTrain.fit(trainer, 2, data(manager, scale), null);
            // one overflowing batch per epoch: skipped, everything else applied
            assertTrue(trainer.getSkippedSteps() >= 2, "skipped " + trainer.getSkippedSteps());
            assertTrue(trainer.getSkippedSteps() < trainer.getStepCount());
            assertTrue(Runs.allFinite(Runs.flatWeights(model)));
        }
    }

    @Test
    void djlsDefaultListenersEndTrainingAtTheFirstOverflow() {
        TrainingDivergedException e =
                assertThrows(
                        TrainingDivergedException.class,
                        () -> fit("16-mixed", 1e6f, TrainingListener.Defaults.logging()));
        assertTrue(e.getMessage().startsWith("The Loss became NaN"), e.getMessage());
    }

    @Test
    void precisionListenersLetTheSkippedStepRecover() throws Exception {
        fit("16-mixed", 1e6f, PrecisionListeners.logging());
        fit("16-mixed", 1e6f, PrecisionListeners.basic());
    }

    @Test
    void aNanLossThatIsAppliedStillEndsTraining() {
        // 32-true checks no gradients: an inf input gives a NaN loss whose step is applied
        TrainingDivergedException e =
                assertThrows(
                        TrainingDivergedException.class,
                        () -> fit("32-true", Float.POSITIVE_INFINITY, PrecisionListeners.logging()));
        assertTrue(e.getMessage().startsWith("The Loss became NaN"), e.getMessage());
    }
}

package snippets;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** Troubleshooting: the loss-scale floor, and the error when fp16 cannot hold the model at all. */
public final class LossScaleFloor {

    private LossScaleFloor() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("mlp", Device.cpu())) {
            // inputs of about 1e5: inf in fp16 (max 65504), so every step overflows
            ArrayDataset trainSet =
                    new ArrayDataset.Builder()
                            .setData(manager.randomNormal(new Shape(4096, 16)).add(3).mul(1e5f))
                            .optLabels(manager.zeros(new Shape(4096)))
                            .setSampling(16, false)
                            .build();
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {Device.cpu()});
            // snippet:start
            PrecisionConfig precision =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            // the scale never goes below 1.0 (the default; DeepSpeed's min_loss_scale)
                            .optGradScaler(GradScalerConfig.builder().optMinScale(1f).build())
                            // 100 skipped steps in a row at the floor stop training (the default; 0: never)
                            .optLowScaleDiagnosisSteps(100)
                            .build();
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 1, trainSet, null);
            } catch (TrainingDivergedException e) {
                // "The fp16 loss scale has been at its floor 1.0 for 100 steps in a row and every
                // one of them overflowed, up to step 114: ... Train in 'bf16-mixed' ..."
                System.out.println(e.getMessage());
                return; // training cannot go on in fp16
            }
            // snippet:end
            throw new IllegalStateException("every step overflowed, but training went on");
        }
    }
}

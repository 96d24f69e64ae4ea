package snippets;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.StepOutcome;
import io.github.djlprecision.training.PrecisionListener;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** 16-bit-training.md, Troubleshooting: watching skipped steps and the loss scale. */
public final class SkippedSteps {

    private SkippedSteps() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("mlp", Device.cpu())) {
            ArrayDataset trainSet = Data.blobs(manager, 1024, 32);
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            // snippet:start
            // one object is both a DJL TrainingListener and a PrecisionListener
            class SkipLogger extends TrainingListenerAdapter implements PrecisionListener {
                @Override
                public void onStepSkipped(PrecisionTrainer trainer, StepOutcome outcome) {
                    System.out.println(
                            "step " + outcome.stepIndex() + " skipped: " + outcome.skipReason());
                }
            }

            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {Device.cpu()})
                            .addTrainingListeners(new SkipLogger());

            // start at 2^24 instead of 2^16: the first steps overflow fp16 and back off
            PrecisionConfig precision =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            .optGradScaler(GradScalerConfig.builder().optInitScale(16777216f).build())
                            .build();

            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 1, trainSet, null);
                System.out.println(trainer.getSkippedSteps() + " of " + trainer.getStepCount()
                        + " steps skipped; scale now "
                        + trainer.getLastOutcome().orElseThrow().lossScale());
                // the same numbers are DJL metrics, per step:
                // PrecisionTrainer.METRIC_SKIPPED_STEP and METRIC_LOSS_SCALE
            }
            // snippet:end
            Data.check(model);
        }
    }
}

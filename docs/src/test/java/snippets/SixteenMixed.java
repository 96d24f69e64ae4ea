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
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionListeners;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** 16-bit-training.md, "16-mixed": native autocast and dynamic loss scaling on the CPU. */
public final class SixteenMixed {

    private SixteenMixed() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            // snippet:start
            Model model = Model.newInstance("mlp", Device.cpu());
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));

            PrecisionConfig precision =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            // torch.amp.GradScaler's settings; these are its defaults
                            .optGradScaler(
                                    GradScalerConfig.builder()
                                            .optInitScale(65536f)
                                            .optGrowthFactor(2f)
                                            .optBackoffFactor(0.5f)
                                            .optGrowthInterval(2000)
                                            .build())
                            // Lightning's gradient_clip_val, applied to unscaled gradients
                            .optGradientClipping(1.0, GradientClipping.Algorithm.NORM)
                            .build();

            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {Device.cpu()})
                            .addTrainingListeners(PrecisionListeners.basic());

            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                // e.g. "native-autocast(cpu, float16, loss scaling: fused)"
                System.out.println(trainer.getPlugin().getPath());
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, trainSet, null);
                System.out.println("skipped steps: " + trainer.getSkippedSteps());
                System.out.println(
                        "loss scale now: " + trainer.getLastOutcome().orElseThrow().lossScale());
            }
            // snippet:end
            Data.check(model);
            model.close();
        }
    }
}

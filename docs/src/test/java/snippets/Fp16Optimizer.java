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
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** Troubleshooting: Adam in pure fp16 (16-true, Apex O3) needs an epsilon fp16 can hold. */
public final class Fp16Optimizer {

    private Fp16Optimizer() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("mlp", Device.cpu())) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            // snippet:start
            // 16-true updates fp16 weights with fp16 optimizer state: Adam's default epsilon
            // 1e-8 is 0 there and is refused; 1e-4 is above fp16's smallest normal number 6.1e-5
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().optEpsilon(1e-4f).build())
                            .optDevices(new Device[] {Device.cpu()});
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-true"))) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, trainSet, null);
            }
            // snippet:end
            Data.check(model);
        }
    }
}

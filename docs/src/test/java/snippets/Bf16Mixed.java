package snippets;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** 16-bit-training.md, "bf16-mixed": bfloat16 autocast, no loss scaling. */
public final class Bf16Mixed {

    private Bf16Mixed() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            // snippet:start
            Model model = Model.newInstance("mlp", Device.cpu());
            // only blocks checked to run under bf16 through DJL (see Troubleshooting)
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(LayerNorm.builder().build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));

            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {Device.cpu()});

            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("bf16-mixed"))) {
                System.out.println(trainer.getPlugin().getPath()); // native-autocast(cpu, bfloat16)
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, trainSet, null);
            }
            // snippet:end
            Data.check(model);
            model.close();
        }
    }
}

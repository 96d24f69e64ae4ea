package snippets;

import ai.djl.Model;
import ai.djl.engine.Engine;
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
import java.util.Arrays;

/** 16-bit-training.md, "Several GPUs": the quick start in bf16-mixed on every GPU of the host. */
public final class SeveralGpus {

    private SeveralGpus() {}

    static String skipReason() {
        int gpus = Engine.getInstance().getGpuCount();
        return gpus < 2 ? "needs two GPUs, this machine has " + gpus : null;
    }

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            // 32 samples a batch: 16 on each of two GPUs (a batch must split evenly)
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            ArrayDataset validateSet = Data.blobs(manager, 128, 32);
            // snippet:start
            Model model = Model.newInstance("mlp"); // on the first GPU, where DJL puts it
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));

            // no optDevices: DJL's default is every GPU (Engine.getDevices())
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build());

            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("bf16-mixed"))) {
                System.out.println(Arrays.toString(trainer.getDevices())); // [gpu(0), gpu(1)]
                System.out.println(trainer.getPlugin().getPath()); // native-autocast(cuda, bfloat16, ...)
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, trainSet, validateSet);
                System.out.println(trainer.getTrainingResult());
            }
            // snippet:end
            Data.check(model);
        }
    }
}

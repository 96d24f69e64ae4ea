package snippets;

import ai.djl.Device;
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

/** 16-bit-training.md, "GPU 16-bit": the same code on a CUDA device. */
public final class GpuSixteenMixed {

    private GpuSixteenMixed() {}

    static String skipReason() {
        return Engine.getInstance().getGpuCount() == 0 ? "no GPU" : null;
    }

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager(Device.gpu())) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            // snippet:start
            Device gpu = Device.gpu();
            Model model = Model.newInstance("mlp", gpu); // parameters live on the GPU
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));

            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {gpu}); // or leave out: every GPU

            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-mixed"))) {
                System.out.println(trainer.getPlugin().getPath()); // native-autocast(cuda, float16, ...)
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, trainSet, null);
            }
            // snippet:end
            model.close();
        }
    }
}

package snippets;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** 16-bit-training.md, "True half and double precision": 16-true parameters are fp16. */
public final class TruePrecision {

    private TruePrecision() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset trainSet = Data.blobs(manager, 256, 32);
            // snippet:start
            Model model = Model.newInstance("mlp", Device.cpu());
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
                            .optDevices(new Device[] {Device.cpu()});

            // Lightning: Trainer(precision="16-true"): parameters are created in fp16
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-true"))) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 1, trainSet, null);
                for (Parameter parameter : model.getBlock().getParameters().values()) {
                    System.out.println(parameter.getName() + ": " + parameter.getArray().getDataType());
                }
            }
            // snippet:end
            for (Parameter parameter : model.getBlock().getParameters().values()) {
                if (parameter.getArray().getDataType() != DataType.FLOAT16) {
                    throw new IllegalStateException(parameter.getName() + " is not fp16");
                }
            }
            Data.check(model);
        }
    }
}

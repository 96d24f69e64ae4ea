package snippets;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
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
import java.nio.file.Files;
import java.nio.file.Path;

/** Troubleshooting: a checkpoint trains on in the precision it was saved in. */
public final class ResumeInSavedPrecision {

    private ResumeInSavedPrecision() {}

    private static Block mlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(64).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(4).build());
    }

    public static void main(String[] args)
            throws IOException, TranslateException, MalformedModelException {
        Path dir = Files.createTempDirectory("checkpoint");
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
                            .optDevices(new Device[] {Device.cpu()});
            try (Model model = Model.newInstance("mlp", Device.cpu())) {
                model.setBlock(mlp());
                try (PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-true"))) {
                    trainer.initialize(new Shape(1, 16));
                    EasyTrain.fit(trainer, 1, trainSet, null);
                }
                model.save(dir, "mlp");
            }
            try (Model model = Model.newInstance("mlp", Device.cpu())) {
                model.setBlock(mlp());
                // snippet:start
                model.load(dir, "mlp");
                // the precision the checkpoint was saved training in, here "16-true": its
                // parameters are fp16, which 32-true would refuse (DJL cannot convert them)
                String saved = model.getProperty("precision.value");
                try (PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of(saved))) {
                    trainer.initialize(new Shape(1, 16));
                    EasyTrain.fit(trainer, 1, trainSet, null); // step count and state carry on
                }
                // snippet:end
                Data.check(model);
            }
        }
    }
}

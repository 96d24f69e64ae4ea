package snippets;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionListeners;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** The README's quick start. */
public final class QuickStart {

    private QuickStart() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            ArrayDataset validateSet = Data.blobs(manager, 128, 32);
            // snippet:start
            Model model = Model.newInstance("mlp");
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));

            TrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            // DJL's Defaults.logging(), with a divergence check that lets a
                            // skipped fp16 step recover
                            .addTrainingListeners(PrecisionListeners.logging());

            // the one change: how the trainer is made
            PrecisionConfig precision = PrecisionConfig.of("16-mixed");
            try (Trainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, trainSet, validateSet);
            }
            // snippet:end
            Data.check(model);
        }
    }
}

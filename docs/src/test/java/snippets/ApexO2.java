package snippets;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
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
import io.github.djlprecision.training.MemoryFootprint;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** 16-bit-training.md, "The Apex road": O2 with fp32 master weights, and its memory footprint. */
public final class ApexO2 {

    private ApexO2() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            NDList sampleBatch = new NDList(manager.randomNormal(new Shape(32, 16)));
            // snippet:start
            Model model = Model.newInstance("mlp", Device.cpu());
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(LayerNorm.builder().build()) // stays fp32 under O2
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));

            // Lightning: Trainer(precision="16-mixed", amp_backend="apex", amp_level="O2")
            PrecisionConfig precision =
                    PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O2").build();
            Optimizer adam = Optimizer.adam().build();
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(adam)
                            .optDevices(new Device[] {Device.cpu()});

            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, trainSet, null);
                // apex-O2(fp16 working copies, fp32 master weights, fp32 norm layers, loss scaling: fused)
                System.out.println(trainer.getPlugin().getPath());
                // parameters, fp32 master copies, Adam's state and one forward's activations
                MemoryFootprint memory = MemoryFootprint.measure(trainer, adam, sampleBatch);
                System.out.println(memory);
            }
            // snippet:end
            Data.check(model);
        }
    }
}

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
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.distributed.DatasetShards;
import io.github.djlprecision.distributed.LaunchEnvironment;
import io.github.djlprecision.distributed.ProcessGroupTopology;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * 16-bit-training.md, "Several processes and hosts": one process of a launch. It runs under {@code
 * bin/djlp-run}; the distributed module's DistributedTrainingTest runs the same calls in two JVMs.
 */
public final class SeveralProcesses {

    private SeveralProcesses() {}

    static String skipReason() {
        return LaunchEnvironment.isSet()
                ? null
                : "one process of a launch: run it under bin/djlp-run (WORLD_SIZE is not set)";
    }

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("mlp", Device.cpu())) {
            ArrayDataset trainSet = Data.blobs(manager, 512, 32);
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {Device.cpu()});
            // snippet:start
            ProcessGroupTopology topology = ProcessGroupTopology.fromEnvironment(); // RANK, WORLD_SIZE, ...
            RandomAccessDataset share = DatasetShards.shard(trainSet, topology.getGroup());
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-mixed"), topology)) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 2, share, null);
                if (topology.writesCheckpoints()) { // rank 0
                    model.save(Path.of("build/model"), "mlp");
                }
            }
            // snippet:end
        }
    }
}

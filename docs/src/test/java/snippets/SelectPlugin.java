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
import io.github.djlprecision.example.GradientNormMonitorPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** writing-a-plugin.md: selecting a plugin from another jar by name, and training with it. */
public final class SelectPlugin {

    private SelectPlugin() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("mlp", Device.cpu())) {
            ArrayDataset trainSet = Data.blobs(manager, 256, 32);
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {Device.cpu()});
            GradientNormMonitorPlugin monitor;
            // snippet:start
            // every provider ServiceLoader found, lowest rank (preferred) first
            for (PrecisionPluginProvider provider : PrecisionPlugins.providers()) {
                System.out.println(provider.getName() + " " + provider.getPrecisions());
            }

            PrecisionConfig precision =
                    PrecisionConfig.builder()
                            .optPrecision("32-true")
                            .optPluginName("gradient-norm-monitor") // the provider's getName()
                            .build();

            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 1, trainSet, null);
                monitor = (GradientNormMonitorPlugin) trainer.getPlugin();
                System.out.println("gradient norms: " + monitor.getNorms());
            }
            // snippet:end
            if (monitor.getNorms().size() != 8) {
                throw new IllegalStateException("expected 8 steps, saw " + monitor.getNorms());
            }
            Data.check(model);
        }
    }
}

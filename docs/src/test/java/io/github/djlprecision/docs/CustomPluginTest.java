package io.github.djlprecision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
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
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.example.GradientNormMonitorPlugin;
import io.github.djlprecision.example.GradientNormMonitorProvider;
import io.github.djlprecision.plugins.SinglePrecision;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A plugin shipped in its own jar (docs/example-plugin) is found by ServiceLoader and trains. */
class CustomPluginTest {

    @Test
    void pluginFromItsOwnJarIsFoundAndTrains() throws Exception {
        PrecisionPluginProvider provider =
                PrecisionPlugins.providers().stream()
                        .filter(p -> p.getName().equals(GradientNormMonitorProvider.NAME))
                        .findFirst()
                        .orElseThrow();
        // it was loaded from the example plugin's own jar or class folder, not from this module
        String location =
                provider.getClass().getProtectionDomain().getCodeSource().getLocation().getPath();
        assertTrue(location.contains("example-plugin"), location);

        try (Model model = Model.newInstance("custom", Device.cpu(), "PyTorch");
                NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(8).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(2).build()));
            NDArray x = manager.randomNormal(new Shape(64, 4));
            NDArray y = x.sum(new int[] {1}).gt(0).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            ArrayDataset data =
                    new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(16, false).build();
            PrecisionConfig precision =
                    PrecisionConfig.builder()
                            .optPrecision("32-true")
                            .optPluginName(GradientNormMonitorProvider.NAME)
                            .build();
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(
                            model,
                            new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                    .optOptimizer(
                                            Optimizer.sgd()
                                                    .setLearningRateTracker(Tracker.fixed(0.1f))
                                                    .build())
                                    .optDevices(new Device[] {Device.cpu()}),
                            precision)) {
                trainer.initialize(new Shape(16, 4));
                float before = model.getBlock().getParameters().get(0).getValue().getArray().sum().getFloat();
                EasyTrain.fit(trainer, 2, data, null);
                GradientNormMonitorPlugin plugin = (GradientNormMonitorPlugin) trainer.getPlugin();
                // 64 samples in batches of 16 for 2 epochs: the hook saw every one of the 8 steps
                assertEquals(8, plugin.getNorms().size());
                assertTrue(plugin.getNorms().stream().allMatch(n -> Float.isFinite(n) && n > 0), plugin.getNorms().toString());
                assertNotEquals(before, model.getBlock().getParameters().get(0).getValue().getArray().sum().getFloat());
            }
        }
    }

    @Test
    void withoutItsNameTheBuiltInProviderStillWins() {
        List<String> names =
                PrecisionPlugins.providers().stream()
                        .map(PrecisionPluginProvider::getName)
                        .collect(Collectors.toList());
        assertTrue(names.containsAll(List.of("pytorch-native", "fp32", GradientNormMonitorProvider.NAME)), names.toString());
        // the PyTorch engine's own 32-true (fp32 with its fused optimizer kernels) outranks the
        // engine-neutral one; the example plugin, ranked last, is never chosen by itself
        assertEquals(
                "pytorch-native",
                PrecisionPlugins.select(
                                new io.github.djlprecision.spi.PluginRequest(
                                        "PyTorch",
                                        Device.cpu(),
                                        PrecisionConfig.of("32-true"),
                                        io.github.djlprecision.spi.PluginRequest.Purpose.TRAINING))
                        .getName());
        assertTrue(
                PrecisionPlugins.create(
                                new io.github.djlprecision.spi.PluginRequest(
                                        "AnyEngine",
                                        Device.cpu(),
                                        PrecisionConfig.of("32-true"),
                                        io.github.djlprecision.spi.PluginRequest.Purpose.TRAINING))
                        instanceof SinglePrecision);
    }
}

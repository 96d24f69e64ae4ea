package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Adam;
import ai.djl.util.Pair;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.PrecisionPlugins;
import io.github.djlprecision.PrecisionTrainer;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes per precision, read from the arrays a real training step leaves behind: parameters,
 * gradients and Adam's moments by their data types and sizes, activations as the outputs of every
 * layer of one forward pass inside the plugin's forward context. There is no memory-accounting API
 * on main yet, so this counts directly. Precisions no installed plugin serves on the PyTorch engine
 * are listed as not yet available.
 */
final class MemoryPerPrecision {

    private MemoryPerPrecision() {}

    /** What one precision holds, in bytes. */
    private record Bytes(long parameters, long masterCopy, long gradients, long optimizer, long activations) {}

    static void print(Models.Mlp mlp) {
        Map<Precision, Bytes> measured = new LinkedHashMap<>();
        Map<Precision, String> missing = new LinkedHashMap<>();
        for (Precision precision : Precision.values()) {
            try {
                measured.put(precision, measure(mlp, PrecisionConfig.builder().optPrecision(precision).build()));
            } catch (UnsupportedPrecisionException e) {
                missing.put(precision, "not yet available on PyTorch");
            }
        }
        Bytes ref = measured.get(Precision.FLOAT_TRUE);
        System.out.printf(
                "%n## Memory per precision, %s, Adam; bytes (ratio to 32-true)%n"
                        + "| precision | parameters | master copy | gradients | optimizer state |"
                        + " activations (layer outputs) |%n|---|---|---|---|---|---|%n",
                mlp.describe());
        measured.forEach(
                (precision, b) ->
                        System.out.printf(
                                Locale.ROOT,
                                "| %s | %s | %s | %s | %s | %s |%n",
                                precision,
                                cell(b.parameters(), ref.parameters()),
                                cell(b.masterCopy(), ref.parameters()),
                                cell(b.gradients(), ref.gradients()),
                                cell(b.optimizer(), ref.optimizer()),
                                cell(b.activations(), ref.activations())));
        missing.forEach((precision, why) -> System.out.printf("| %s | %s | | | | |%n", precision, why));
        System.out.println(
                "(master copy: ratio to 32-true parameters; no precision on main keeps a separate"
                        + " copy, the *-mixed parameters are the fp32 master)");
    }

    private static String cell(long bytes, long reference) {
        return String.format(Locale.ROOT, "%,d (%.2fx)", bytes, bytes / (double) reference);
    }

    private static Bytes measure(Models.Mlp mlp, PrecisionConfig precision) {
        PrecisionPlugins.select(
                new PluginRequest("PyTorch", Device.cpu(), precision, PluginRequest.Purpose.TRAINING));
        DefaultTrainingConfig config = Models.adamConfig();
        try (Model model = mlp.newModel();
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
            trainer.initialize(mlp.inputShape());
            NDList batch = mlp.batch(trainer.getManager());
            Models.trainStep(trainer, batch); // creates the gradients and Adam's moments
            long parameters = 0;
            long gradients = 0;
            for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
                NDArray array = pair.getValue().getArray();
                parameters += bytes(array, precision.getPrecision());
                try (NDArray gradient = array.getGradient()) {
                    gradients += bytes(gradient, precision.getPrecision());
                }
            }
            long optimizer = adamStateBytes((Adam) config.getOptimizer(), precision.getPrecision());
            long activations = 0;
            ParameterStore store = new ParameterStore(trainer.getManager(), false);
            NDList x = new NDList(batch.get(0));
            try (ForwardContext ignored = trainer.getPlugin().forwardContext(Device.cpu())) {
                for (Pair<String, Block> layer : model.getBlock().getChildren()) {
                    x = layer.getValue().forward(store, x, true);
                    activations += bytes(x.head(), precision.getPrecision());
                }
            }
            return new Bytes(parameters, 0, gradients, optimizer, activations);
        }
    }

    /** Adam's first and second moments, read from its (private) state maps. */
    @SuppressWarnings("unchecked")
    private static long adamStateBytes(Adam adam, Precision precision) {
        long total = 0;
        for (String name : new String[] {"means", "variances"}) {
            try {
                Field field = Adam.class.getDeclaredField(name);
                field.setAccessible(true);
                Map<String, Map<Device, NDArray>> state =
                        (Map<String, Map<Device, NDArray>>) field.get(adam);
                for (Map<Device, NDArray> perDevice : state.values()) {
                    for (NDArray array : perDevice.values()) {
                        total += bytes(array, precision);
                    }
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("DJL's Adam no longer keeps '" + name + "'", e);
            }
        }
        return total;
    }

    /** DJL reads LibTorch's bf16 as UNKNOWN: under a bf16 precision that is 2 bytes an element. */
    private static long bytes(NDArray array, Precision precision) {
        DataType type = array.getDataType();
        int width = type == DataType.UNKNOWN && precision.isBfloat16() ? 2 : type.getNumOfBytes();
        if (width == 0) {
            throw new IllegalStateException("Unknown element width for " + type);
        }
        return array.size() * width;
    }
}

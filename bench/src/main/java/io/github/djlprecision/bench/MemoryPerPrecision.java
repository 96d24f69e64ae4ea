package io.github.djlprecision.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.MemoryFootprint;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import java.util.Locale;

/**
 * Bytes per precision on the PyTorch engine, relative to 32-true: parameters, working copies (Apex O2),
 * optimizer state and activations from the project's own {@link MemoryFootprint}, measured after
 * one real training step; gradients beside them, counted here from the gradient arrays. A
 * precision the engine refuses is listed with the reason it gives.
 */
final class MemoryPerPrecision {

    private static final List<PrecisionConfig> PRECISIONS =
            List.of(
                    PrecisionConfig.of("32-true"),
                    PrecisionConfig.of("64-true"),
                    PrecisionConfig.of("16-mixed"),
                    PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O2").build(),
                    PrecisionConfig.of("bf16-mixed"),
                    PrecisionConfig.of("16-true"),
                    PrecisionConfig.of("bf16-true"));

    private MemoryPerPrecision() {}

    private record Row(MemoryFootprint memory, long gradients) {}

    static void print(Models.Mlp mlp) {
        System.out.printf(
                "%n## Memory per precision, %s, Adam; bytes (ratio to 32-true)%n"
                        + "| precision | path | parameters | working copies | optimizer state |"
                        + " activations | gradients |%n|---|---|---|---|---|---|---|%n",
                mlp.describe());
        Row reference = null;
        for (PrecisionConfig precision : PRECISIONS) {
            Row row;
            try {
                row = measure(mlp, precision);
            } catch (UnsupportedPrecisionException e) {
                System.out.printf(
                        "| %s | not available: %s | | | | | |%n",
                        precision,
                        e.getMessage().lines().findFirst().orElse(""));
                continue;
            }
            if (reference == null) {
                reference = row;
            }
            MemoryFootprint m = row.memory();
            MemoryFootprint r = reference.memory();
            System.out.printf(
                    "| %s | %s | %s | %s | %s | %s | %s |%n",
                    precision,
                    m.getPath(),
                    cell(m.getParameterBytes(), r.getParameterBytes()),
                    cell(m.getWorkingCopyBytes(), r.getParameterBytes()),
                    cell(m.getOptimizerStateBytes(), r.getOptimizerStateBytes()),
                    cell(m.getActivationBytes(), r.getActivationBytes()),
                    cell(row.gradients(), reference.gradients()));
        }
        System.out.println("(working copies: ratio to the 32-true parameters)");
    }

    private static String cell(long bytes, long reference) {
        return String.format(Locale.ROOT, "%,d (%.2fx)", bytes, bytes / (double) reference);
    }

    private static Row measure(Models.Mlp mlp, PrecisionConfig precision) {
        DefaultTrainingConfig config = Models.adamConfig();
        try (Model model = mlp.newModel();
                PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
            trainer.initialize(mlp.inputShape());
            NDList batch = mlp.batch(trainer.getManager());
            Models.trainStep(trainer, batch); // so that gradients and optimizer state exist
            long gradients = 0;
            for (Parameter parameter : model.getBlock().getParameters().values()) {
                try (NDArray gradient = parameter.getArray().getGradient()) {
                    gradients += gradient.size() * gradient.getDataType().getNumOfBytes();
                }
            }
            MemoryFootprint memory =
                    MemoryFootprint.measure(trainer, config.getOptimizer(), new NDList(batch.get(0)));
            return new Row(memory, gradients);
        }
    }
}

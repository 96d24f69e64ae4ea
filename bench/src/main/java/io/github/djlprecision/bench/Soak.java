package io.github.djlprecision.bench;

import ai.djl.Model;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A soak: plain DJL and every precision train the same small MLP for many steps, one after the
 * other in this JVM; after a tenth of the steps (warm-up) and at the end it counts the arrays and
 * sub-managers alive in the trainer's and the model's manager trees, and reads the process's
 * resident memory (VmRSS, Linux). Flat means: the same counts at the end as after the warm-up, and
 * resident memory that does not grow with the steps (a leak of one 8x16 fp32 batch per step would
 * add 1.5 MB over 3000 steps; of the MLP's gradients, 20 MB).
 *
 * <p>Run it in a JVM whose heap is fixed and pre-touched ({@code -Xms512m -Xmx512m
 * -XX:+AlwaysPreTouch}): otherwise the Java heap's pages, touched for the first time as the garbage
 * of the steps moves through them, grow the resident memory by tens of MB with no leak (the column
 * "of it Java heap" shows the committed heap, which does not change).
 */
final class Soak {

    private Soak() {}

    /** Counts of one run at one point. */
    private record Point(
            int trainerArrays,
            int trainerManagers,
            int modelArrays,
            int modelManagers,
            long rssKb,
            long heapKb) {}

    static void print(Models.Mlp mlp, int steps) {
        Map<String, PrecisionConfig> variants = new LinkedHashMap<>();
        variants.put("plain DJL (fp32)", null);
        for (String value :
                new String[] {"32-true", "64-true", "16-true", "16-mixed", "bf16-mixed"}) {
            variants.put(value, PrecisionConfig.of(value));
        }
        for (String level : new String[] {"O0", "O1", "O2", "O3"}) {
            variants.put(
                    "16-mixed " + level,
                    PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel(level).build());
        }
        // the first row also holds the JVM's own warm-up (compiled code, classes); this one not
        variants.put("plain DJL (fp32), again", null);
        int warmUp = Math.max(1, steps / 10);
        System.out.printf(
                "%n## Soak: %s, Adam, %d steps; counts after %d warm-up steps -> at the end%n|"
                    + " variant | trainer arrays | trainer sub-managers | model arrays | model"
                    + " sub-managers | resident MB | resident growth MB | of it Java heap MB |%n"
                    + "|---|---|---|---|---|---|---|---|%n",
                mlp.describe(), steps, warmUp);
        for (Map.Entry<String, PrecisionConfig> variant : variants.entrySet()) {
            try (Model model = mlp.newModel();
                    NDManager data = NDManager.newBaseManager();
                    Trainer trainer =
                            variant.getValue() == null
                                    ? model.newTrainer(Models.adamConfig())
                                    : PrecisionTrainer.newTrainer(
                                            model, Models.adamConfig(), variant.getValue())) {
                trainer.initialize(mlp.inputShape());
                NDList batch = mlp.batch(data);
                for (int i = 0; i < warmUp; i++) {
                    Models.trainStep(trainer, batch);
                }
                Point warm = measure(trainer, model);
                for (int i = warmUp; i < steps; i++) {
                    Models.trainStep(trainer, batch);
                }
                Point end = measure(trainer, model);
                System.out.printf(
                        "| %s | %d -> %d | %d -> %d | %d -> %d | %d -> %d | %.1f -> %.1f | %+.1f |"
                                + " %+.1f |%n",
                        variant.getKey(),
                        warm.trainerArrays(),
                        end.trainerArrays(),
                        warm.trainerManagers(),
                        end.trainerManagers(),
                        warm.modelArrays(),
                        end.modelArrays(),
                        warm.modelManagers(),
                        end.modelManagers(),
                        warm.rssKb() / 1024.0,
                        end.rssKb() / 1024.0,
                        (end.rssKb() - warm.rssKb()) / 1024.0,
                        (end.heapKb() - warm.heapKb()) / 1024.0);
            }
        }
    }

    private static Point measure(Trainer trainer, Model model) {
        System.gc();
        return new Point(
                trainer.getManager().getManagedArrays().size(),
                subManagers(trainer.getManager()),
                model.getNDManager().getManagedArrays().size(),
                subManagers(model.getNDManager()),
                residentKb(),
                Runtime.getRuntime().totalMemory() / 1024);
    }

    /** DJL lists no sub-managers publicly: {@code BaseNDManager.resources} is read reflectively. */
    private static int subManagers(NDManager manager) {
        Map<?, ?> resources;
        try {
            Field field = BaseNDManager.class.getDeclaredField("resources");
            field.setAccessible(true);
            resources = (Map<?, ?>) field.get(manager);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's BaseNDManager changed: " + e, e);
        }
        int count = 0;
        for (Object resource : resources.values()) {
            if (resource instanceof NDManager) {
                count += 1 + subManagers((NDManager) resource);
            }
        }
        return count;
    }

    /** The process's resident set, in kB; -1 where /proc is not there. */
    private static long residentKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

package io.github.djlprecision.bench;

import static io.github.djlprecision.bench.Interleaved.Clock.THREAD_CPU;
import static io.github.djlprecision.bench.Interleaved.Clock.WALL;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.training.PrecisionTrainer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The CPU benchmarks, side by side in one JVM: the adapter's overhead per training step against
 * plain DJL at the same precision, the loss scaler's cost per step (fused LibTorch kernels against
 * plain DJL operations), and memory per precision.
 *
 * <p>Run it with {@code mvn -B -q -pl bench -am -Pbench verify -DskipTests}. Options: {@code --rounds N}
 * (timed rounds, default 31), {@code --warmup N} (untimed rounds, default 3), {@code --round-ms
 * N} (time one variant gets per round, default 100), {@code --only overhead|scaler|memory}, or
 * {@code --only soak} (not part of the default run) with {@code --soak-steps N} (default 3000).
 */
public final class CpuBench {

    private static final Models.Mlp SMALL =
            new Models.Mlp("small", 16, new int[] {32, 32}, 4, 8);
    private static final Models.Mlp MEDIUM =
            new Models.Mlp("medium", 64, new int[] {256, 256}, 10, 64);
    /** 128 Linear(32) layers: 256 small parameter tensors, where per-tensor costs show. */
    private static final Models.Mlp MANY_TENSORS =
            new Models.Mlp("many-tensors", 32, repeat(32, 127), 32, 16);

    private int rounds = 31;
    private int warmup = 3;
    private double roundMs = 100;
    private int soakSteps = 3000;

    private CpuBench() {}

    /**
     * Runs the benchmarks and prints their tables.
     *
     * @param args see the class comment
     */
    public static void main(String[] args) {
        CpuBench bench = new CpuBench();
        String only = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--rounds" -> bench.rounds = Integer.parseInt(value);
                case "--warmup" -> bench.warmup = Integer.parseInt(value);
                case "--round-ms" -> bench.roundMs = Double.parseDouble(value);
                case "--only" -> only = value;
                case "--soak-steps" -> bench.soakSteps = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf(
                "# djl-precision CPU bench, %s%n# Java %s, %d cores visible, DJL %s, LibTorch %s%n"
                        + "# %d timed rounds (+%d warm-up), variants interleaved in rotating order;"
                        + " ratios are medians of per-round ratios%n",
                Instant.now(),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                Engine.getDjlVersion(),
                engine.getVersion(),
                bench.rounds,
                bench.warmup);
        if (only == null || only.equals("overhead")) {
            bench.overhead();
        }
        if (only == null || only.equals("overhead") || only.equals("breakdown")) {
            bench.breakdown(SMALL);
        }
        if (only == null || only.equals("scaler")) {
            bench.scalerCost();
        }
        if (only == null || only.equals("memory")) {
            MemoryPerPrecision.print(MEDIUM);
        }
        if ("soak".equals(only)) {
            Soak.print(SMALL, bench.soakSteps);
        }
    }

    private void overhead() {
        System.out.printf(
                "%n## Adapter overhead per training step (Adam, softmax cross-entropy)%n"
                        + "Thread CPU time (LibTorch on one thread, so it counts the whole step),"
                        + " then wall time%n"
                        + "| model | precision | djl-precision ms/step | hand-written DJL ms/step |"
                        + " ratio (CPU time) | overhead us/step | ratio (wall) | wall spread |%n"
                        + "|---|---|---|---|---|---|---|---|%n");
        for (Models.Mlp mlp : List.of(SMALL, MEDIUM)) {
            overheadFullPrecision(mlp);
            overheadHalfMixed(mlp);
        }
    }

    /** 32-true: PrecisionTrainer against {@code model.newTrainer}, each on its own model copy. */
    private void overheadFullPrecision(Models.Mlp mlp) {
        try (Model a = mlp.newModel();
                Model b = mlp.newModel();
                Trainer adapter =
                        PrecisionTrainer.newTrainer(a, Models.adamConfig(), PrecisionConfig.of("32-true"));
                Trainer plain = b.newTrainer(Models.adamConfig())) {
            adapter.initialize(mlp.inputShape());
            plain.initialize(mlp.inputShape());
            NDList batchA = mlp.batch(adapter.getManager());
            NDList batchB = mlp.batch(plain.getManager());
            compare(
                    mlp,
                    "32-true",
                    new Interleaved.Variant("adapter", n -> repeat(n, () -> Models.trainStep(adapter, batchA))),
                    new Interleaved.Variant("plain", n -> repeat(n, () -> Models.trainStep(plain, batchB))));
        }
    }

    /** 16-mixed: PrecisionTrainer against the same autocast and scaling wired by hand. */
    private void overheadHalfMixed(Models.Mlp mlp) {
        PrecisionConfig half = PrecisionConfig.of("16-mixed");
        try (Model a = mlp.newModel();
                Model b = mlp.newModel();
                Trainer adapter = PrecisionTrainer.newTrainer(a, Models.adamConfig(), half);
                Trainer plain = b.newTrainer(Models.adamConfig());
                HandWrittenMixedStep hand = new HandWrittenMixedStep(plain, half)) {
            adapter.initialize(mlp.inputShape());
            plain.initialize(mlp.inputShape());
            NDList batchA = mlp.batch(adapter.getManager());
            NDList batchB = mlp.batch(plain.getManager());
            compare(
                    mlp,
                    "16-mixed",
                    new Interleaved.Variant("adapter", n -> repeat(n, () -> Models.trainStep(adapter, batchA))),
                    new Interleaved.Variant("plain", n -> repeat(n, () -> hand.step(batchB))));
        }
    }

    private void compare(
            Models.Mlp mlp, String precision, Interleaved.Variant adapter, Interleaved.Variant plain) {
        int iterations = Interleaved.calibrate(plain, roundMs);
        Interleaved r = Interleaved.run(List.of(adapter, plain), iterations, warmup, rounds);
        double a = r.median("adapter", THREAD_CPU);
        double p = r.median("plain", THREAD_CPU);
        System.out.printf(
                Locale.ROOT,
                "| %s | %s | %.3f | %.3f | %.3f | %.0f | %.3f | %.0f%% / %.0f%% |%n",
                mlp.describe(),
                precision,
                a,
                p,
                r.ratio("adapter", "plain", THREAD_CPU),
                (a - p) * 1000,
                r.ratio("adapter", "plain", WALL),
                100 * r.spread("adapter", WALL),
                100 * r.spread("plain", WALL));
    }

    /**
     * Where the adapter's time goes under 32-true, where every piece below is work {@code
     * PrecisionTrainer.step()} adds to a plain DJL step: each piece timed alone (mirroring the
     * trainer's code) on a trained model, next to a whole plain step.
     */
    private void breakdown(Models.Mlp mlp) {
        try (Model model = mlp.newModel();
                PrecisionTrainer adapter =
                        PrecisionTrainer.newTrainer(model, Models.adamConfig(), PrecisionConfig.of("32-true"));
                Model other = mlp.newModel();
                Trainer plain = other.newTrainer(Models.adamConfig())) {
            adapter.initialize(mlp.inputShape());
            plain.initialize(mlp.inputShape());
            Models.trainStep(adapter, mlp.batch(adapter.getManager()));
            NDList plainBatch = mlp.batch(plain.getManager());
            List<Interleaved.Variant> pieces =
                    List.of(
                            new Interleaved.Variant(
                                    "plain DJL step (reference)",
                                    n -> repeat(n, () -> Models.trainStep(plain, plainBatch))),
                            new Interleaved.Variant(
                                    "walk the block for trainable parameters",
                                    n -> repeat(n, () -> trainable(model))),
                            new Interleaved.Variant(
                                    "gradient handles: sub-manager, getGradient, attach, close",
                                    n -> repeat(n, () -> gradientHandles(adapter, model))),
                            new Interleaved.Variant(
                                    "write plugin state into model properties (per epoch now)",
                                    n -> repeat(n, adapter::writeCheckpointState)));
            int iterations = Interleaved.calibrate(pieces.get(0), roundMs);
            Interleaved r = Interleaved.run(pieces, iterations, warmup, rounds);
            System.out.printf(
                    "%n## Where the adapter's time goes, %s, 32-true (thread CPU time per step)%n"
                            + "| piece | us / step |%n|---|---|%n",
                    mlp.describe());
            for (Interleaved.Variant piece : pieces) {
                System.out.printf(
                        Locale.ROOT, "| %s | %.1f |%n", piece.name(), 1000 * r.median(piece.name(), THREAD_CPU));
            }
        }
    }

    private static List<Parameter> trainable(Model model) {
        List<Parameter> trainable = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            if (parameter.requiresGradient()) {
                trainable.add(parameter);
            }
        }
        return trainable;
    }

    private static void gradientHandles(Trainer trainer, Model model) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            for (Parameter parameter : model.getBlock().getParameters().values()) {
                parameter.getArray().getGradient().attach(scope);
            }
        }
    }

    /**
     * The loss scaler's device work per step on a model with many parameter tensors: the scaler
     * alone (unscale + check + scale update, on real gradients, at scale 1 so the values stay put),
     * and whole 16-mixed steps with each kernel set.
     */
    private void scalerCost() {
        Models.Mlp mlp = MANY_TENSORS;
        System.out.printf(
                "%n## Loss scaler cost per step, %s (%d parameter tensors)%n"
                        + "Thread CPU time; the wall-time ratio beside it%n"
                        + "| what | fused LibTorch kernels ms | pure-DJL ms | fused / DJL (CPU time) |"
                        + " fused / DJL (wall) |%n|---|---|---|---|---|%n",
                mlp.describe(),
                2 * (mlp.hidden().length + 1));
        try (Model model = mlp.newModel();
                Trainer trainer = model.newTrainer(Models.adamConfig());
                MixedPrecision fused = scalerPlugin(true);
                MixedPrecision djl = scalerPlugin(false);
                NDManager grads = trainer.getManager().newSubManager()) {
            trainer.initialize(mlp.inputShape());
            NDList batch = mlp.batch(trainer.getManager());
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(batch.get(0)));
                collector.backward(trainer.getLoss().evaluate(new NDList(batch.get(1)), out));
            }
            List<NDArray> gradients = new ArrayList<>();
            for (Parameter parameter : model.getBlock().getParameters().values()) {
                NDArray gradient = parameter.getArray().getGradient();
                gradient.attach(grads);
                gradients.add(gradient);
            }
            DynamicLossScaler f = fused.getScaler();
            DynamicLossScaler d = djl.getScaler();
            f.attach(grads);
            d.attach(grads);
            Interleaved.Variant fusedVariant =
                    new Interleaved.Variant(
                            "fused", n -> repeat(n, () -> f.update(f.unscale(gradients, grads))));
            Interleaved.Variant djlVariant =
                    new Interleaved.Variant(
                            "djl", n -> repeat(n, () -> d.update(d.unscale(gradients, grads))));
            int iterations = Interleaved.calibrate(djlVariant, roundMs);
            Interleaved r = Interleaved.run(List.of(fusedVariant, djlVariant), iterations, warmup, rounds);
            printScalerRow("scaler only (unscale+check+update)", r);
        }
        try (Model a = mlp.newModel();
                Model b = mlp.newModel();
                Trainer fusedTrainer =
                        PrecisionTrainer.newTrainer(a, Models.adamConfig(), scalerConfig(true));
                Trainer djlTrainer =
                        PrecisionTrainer.newTrainer(b, Models.adamConfig(), scalerConfig(false))) {
            fusedTrainer.initialize(mlp.inputShape());
            djlTrainer.initialize(mlp.inputShape());
            NDList batchA = mlp.batch(fusedTrainer.getManager());
            NDList batchB = mlp.batch(djlTrainer.getManager());
            Interleaved.Variant fusedVariant =
                    new Interleaved.Variant("fused", n -> repeat(n, () -> Models.trainStep(fusedTrainer, batchA)));
            Interleaved.Variant djlVariant =
                    new Interleaved.Variant("djl", n -> repeat(n, () -> Models.trainStep(djlTrainer, batchB)));
            int iterations = Interleaved.calibrate(djlVariant, roundMs);
            Interleaved r = Interleaved.run(List.of(fusedVariant, djlVariant), iterations, warmup, rounds);
            printScalerRow("whole 16-mixed training step", r);
        }
    }

    private static void printScalerRow(String what, Interleaved r) {
        System.out.printf(
                Locale.ROOT,
                "| %s | %.3f | %.3f | %.3f | %.3f |%n",
                what,
                r.median("fused", THREAD_CPU),
                r.median("djl", THREAD_CPU),
                r.ratio("fused", "djl", THREAD_CPU),
                r.ratio("fused", "djl", WALL));
    }

    /** Scale 1 and no growth: repeated unscaling leaves the gradients exactly as they are. */
    private static PrecisionConfig scalerConfig(boolean fused) {
        return PrecisionConfig.builder()
                .optPrecision("16-mixed")
                .optGradScaler(
                        GradScalerConfig.builder()
                                .optInitScale(1f)
                                .optGrowthInterval(Integer.MAX_VALUE)
                                .optFusedKernels(fused)
                                .build())
                .build();
    }

    private static MixedPrecision scalerPlugin(boolean fused) {
        return (MixedPrecision)
                PrecisionPlugins.create(
                        new PluginRequest(
                                "PyTorch",
                                Device.cpu(),
                                scalerConfig(fused),
                                PluginRequest.Purpose.TRAINING));
    }

    private static void repeat(int n, Runnable body) {
        for (int i = 0; i < n; i++) {
            body.run();
        }
    }

    private static int[] repeat(int value, int times) {
        int[] values = new int[times];
        Arrays.fill(values, value);
        return values;
    }
}

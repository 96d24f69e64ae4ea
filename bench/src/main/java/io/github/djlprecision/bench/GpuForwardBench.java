package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Forward throughput of an MLP (Linear+ReLU layers) through the plugins' forward contexts, for
 * comparison with the same model in PyTorch ({@code torch_forward.py}, same variants, same
 * timing). Built for the H200 machine, where DJL's JNI runs against a newer LibTorch: training
 * does not work there and nor does copying Java data in, so every tensor is made on the device
 * and the plugin's forward context is used directly instead of {@code PrecisionTrainer}.
 *
 * <p>Each timed block runs {@code --iters} forwards and synchronises once, by summing the last
 * output and copying the scalar to the host. Options: {@code --device gpu|cpu}, {@code --hidden},
 * {@code --batch}, {@code --layers}, {@code --iters}, {@code --rounds}, {@code --warmup}, {@code
 * --out FILE} (results as JSON, for {@code torch_forward.py compare}).
 */
public final class GpuForwardBench {

    private final NDManager root;
    private final Block mlp;
    private final ParameterStore store;
    private final NDArray input;
    private final Device device;

    private GpuForwardBench(NDManager root, Block mlp, NDArray input) {
        this.root = root;
        this.mlp = mlp;
        this.input = input;
        device = root.getDevice();
        store = new ParameterStore(root, false);
    }

    /**
     * Runs the comparison and prints a table; with {@code --out} also writes the figures.
     *
     * @param args see the class comment
     * @throws IOException if the results cannot be written
     */
    public static void main(String[] args) throws IOException {
        String deviceName = "gpu";
        int hidden = 8192;
        int batch = 8192;
        int layers = 4;
        int iters = 10;
        int rounds = 15;
        int warmup = 2;
        Path out = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--device" -> deviceName = value;
                case "--hidden" -> hidden = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--layers" -> layers = Integer.parseInt(value);
                case "--iters" -> iters = Integer.parseInt(value);
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        Engine engine = Engine.getEngine("PyTorch");
        Device device = deviceName.equals("cpu") ? Device.cpu() : Device.gpu();
        System.out.printf(
                "# DJL %s, engine library %s, GPUs seen: %d, device %s%n"
                        + "# MLP %d x (Linear(%d)+ReLU), batch %d; %d forwards per timed block, %d rounds"
                        + " (+%d warm-up), variants interleaved%n",
                Engine.getDjlVersion(),
                engine.getVersion(),
                engine.getGpuCount(),
                device,
                layers,
                hidden,
                batch,
                iters,
                rounds,
                warmup);
        try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
            SequentialBlock mlp = new SequentialBlock();
            for (int i = 0; i < layers; i++) {
                mlp.add(Linear.builder().setUnits(hidden).build()).add(Activation.reluBlock());
            }
            mlp.initialize(root, DataType.FLOAT32, new Shape(batch, hidden));
            NDArray input = root.randomNormal(new Shape(batch, hidden));
            GpuForwardBench bench = new GpuForwardBench(root, mlp, input);
            bench.run(iters, rounds, warmup, 2.0 * batch * hidden * hidden * layers, out);
        }
    }

    private void run(int iters, int rounds, int warmup, double flops, Path out) throws IOException {
        PrecisionPlugin fp32 = plugin("32-true", device);
        PrecisionPlugin half = plugin("16-mixed", device);
        PrecisionPlugin bf16 = plugin("bf16-mixed", device);
        System.out.printf(
                "# paths: %s | %s | %s%n", fp32.getPath(), half.getPath(), bf16.getPath());
        List<Interleaved.Variant> variants = new ArrayList<>();
        variants.add(new Interleaved.Variant("fp32", n -> perForward(n, () -> fp32.forwardContext(device), false)));
        variants.add(new Interleaved.Variant("16-mixed", n -> perForward(n, () -> half.forwardContext(device), false)));
        variants.add(new Interleaved.Variant("bf16-mixed", n -> perForward(n, () -> bf16.forwardContext(device), false)));
        // the same as 16-mixed, with one synchronisation per forward instead of per block
        variants.add(new Interleaved.Variant("16-mixed sync-each", n -> perForward(n, () -> half.forwardContext(device), true)));
        // one autocast scope around the whole block: weight casts are cached across forwards
        variants.add(new Interleaved.Variant("16-mixed scope-once", n -> scopeOnce(n, half)));
        // no autocast at all: fp16 weights made once, so no cast work in the forward
        List<NDArray[]> halfWeights = halfWeights();
        variants.add(new Interleaved.Variant("fp16 weights, no autocast", n -> precast(n, halfWeights)));
        for (Interleaved.Variant variant : variants) {
            variant.body().accept(1); // smoke: fails here, named, rather than inside the timing
            System.out.println("# ok: " + variant.name());
        }
        Interleaved r = Interleaved.run(variants, iters, warmup, rounds);
        Map<String, Double> host = new LinkedHashMap<>();
        host.put("fp32", hostMs(iters, () -> fp32.forwardContext(device)));
        host.put("16-mixed", hostMs(iters, () -> half.forwardContext(device)));
        host.put("bf16-mixed", hostMs(iters, () -> bf16.forwardContext(device)));
        StringBuilder json = new StringBuilder("{\"tool\": \"djl\", \"variants\": {");
        System.out.printf(
                "%n| variant | ms / forward | TFLOP/s | spread | host enqueue ms / forward |%n"
                        + "|---|---|---|---|---|%n");
        for (int i = 0; i < variants.size(); i++) {
            String name = variants.get(i).name();
            double ms = r.median(name, Interleaved.Clock.WALL);
            double tflops = flops / (ms / 1e3) / 1e12;
            Double hostMs = host.get(name);
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %.3f | %.1f | %.1f%% | %s |%n",
                    name,
                    ms,
                    tflops,
                    100 * r.spread(name, Interleaved.Clock.WALL),
                    hostMs == null ? "" : String.format(Locale.ROOT, "%.4f", hostMs));
            json.append(i == 0 ? "" : ", ")
                    .append(String.format(Locale.ROOT, "\"%s\": {\"ms\": %.5f, \"tflops\": %.2f", name, ms, tflops))
                    .append(hostMs == null ? "" : String.format(Locale.ROOT, ", \"host_ms\": %.5f", hostMs))
                    .append('}');
        }
        json.append("}}\n");
        if (out != null) {
            Files.writeString(out, json);
        }
        fp32.close();
        half.close();
        bf16.close();
    }

    private static PrecisionPlugin plugin(String precision, Device device) {
        return PrecisionPlugins.create(
                new PluginRequest(
                        "PyTorch", device, PrecisionConfig.of(precision), PluginRequest.Purpose.INFERENCE));
    }

    /**
     * n forwards, each in its own forward context and sub-manager, as a trainer runs them.
     *
     * @return nanoseconds the host spent before the final synchronisation
     */
    @SuppressWarnings("try") // the scope is held for its effect, never referenced
    private long perForward(int n, Supplier<ForwardContext> context, boolean syncEach) {
        long start = System.nanoTime();
        long launched = start;
        for (int i = 0; i < n; i++) {
            try (NDManager step = root.newSubManager();
                    ForwardContext ignored = context.get()) {
                step.tempAttachAll(input);
                NDArray out = mlp.forward(store, new NDList(input), false).head();
                if (syncEach || i == n - 1) {
                    launched = System.nanoTime();
                    sync(out);
                }
            }
        }
        return launched - start;
    }

    /**
     * The host's own cost of one forward: the time to enqueue n forwards on an idle device (the
     * GPU runs behind, so this is JNI, DJL and autocast work alone), median of 11 tries.
     */
    private double hostMs(int n, Supplier<ForwardContext> context) {
        List<Double> tries = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            perForward(1, context, false); // leaves the device idle
            tries.add(perForward(n, context, false) / 1e6 / n);
        }
        return Interleaved.median(tries);
    }

    @SuppressWarnings("try") // the scope is held for its effect, never referenced
    private void scopeOnce(int n, PrecisionPlugin plugin) {
        try (ForwardContext ignored = plugin.forwardContext(device)) {
            perForward(n, () -> ForwardContext.NONE, false);
        }
    }

    private void precast(int n, List<NDArray[]> weights) {
        for (int i = 0; i < n; i++) {
            try (NDManager step = root.newSubManager()) {
                step.tempAttachAll(input);
                NDArray x = input.toType(DataType.FLOAT16, false);
                for (NDArray[] layer : weights) {
                    x = Activation.relu(Linear.linear(x, layer[0], layer[1]).head());
                }
                if (i == n - 1) {
                    sync(x);
                }
            }
        }
    }

    private List<NDArray[]> halfWeights() {
        List<NDArray[]> weights = new ArrayList<>();
        for (Pair<String, Block> child : mlp.getChildren()) {
            if (child.getValue() instanceof Linear linear) {
                weights.add(
                        new NDArray[] {
                            linear.getParameters().get("weight").getArray().toType(DataType.FLOAT16, true),
                            linear.getParameters().get("bias").getArray().toType(DataType.FLOAT16, true)
                        });
            }
        }
        return weights;
    }

    /**
     * Waits for the device: copies the sum of the output to the host. DJL cannot read data back
     * on the H200 machine, but the copy itself blocks until the work is done. A bf16 sum (DJL
     * reads it as UNKNOWN) is cast to fp32 first: DJL's {@code toDevice} passes the array's own
     * type to native code and would abort the JVM on it.
     */
    private static void sync(NDArray out) {
        NDArray sum = out.sum();
        if (sum.getDataType() != DataType.FLOAT32 && sum.getDataType() != DataType.FLOAT16) {
            sum = sum.toType(DataType.FLOAT32, false);
        }
        sum.toDevice(Device.cpu(), false).getShape();
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.NoopTranslator;
import ai.djl.util.PairList;
import io.github.djlprecision.ChannelsLast;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The GPU checks of the fused fp16 step and the channels-last format, for a machine with CUDA: one
 * line {@code PASS name: ...} or {@code FAIL name: ...} per check, then {@code ALL PASSED} or
 * {@code FAILED n}; exit status 0 only when all passed. A JVM abort (a C++ exception from a kernel)
 * ends the process with no summary line: run each group in its own process.
 *
 * <pre>
 * java ... io.github.djlprecision.pytorch.CudaSpeedProbe fused|channels-last|serving|layouts|rnn
 * </pre>
 *
 * <ul>
 *   <li>{@code fused}: a fused {@code 16-true} SGD step (momentum) equals DJL's unfused one within
 *       fp16 rounding, after one step and after ten, also under Apex O3; the fused kernel on fp16
 *       parameters leaves them bit-identical on a step whose non-finite flag is set;
 *   <li>{@code channels-last}: a conv net trains by default channels-last on CUDA with fused SGD and
 *       momentum in {@code 16-mixed}, {@code bf16-mixed}, {@code 16-true} and Apex O2, its 4-D
 *       parameters (and O2's working copies) channels-last, weights as with {@code NEVER} within
 *       the precision's tolerance; fused Adam too; {@code 32-true} stays in the default format;
 *   <li>{@code serving}: {@code PrecisionBlock.wrap} serves channels-last with the outputs of
 *       {@code NEVER};
 *   <li>{@code layouts}: a fused SGD step given a channels-last parameter with a default-format
 *       gradient and state neither aborts nor differs from the all-default step;
 *   <li>{@code rnn}: DJL's LSTM and GRU train in the 16-bit precisions (LibTorch's warnings about
 *       weights not in one contiguous chunk, on stderr, are counted by the session script).
 * </ul>
 */
public final class CudaSpeedProbe {

    private static final Shape CONV_INPUT = new Shape(16, 3, 32, 32);
    private static final Shape MLP_INPUT = new Shape(64, 64);
    private static final List<String> failures = new ArrayList<>();

    private CudaSpeedProbe() {}

    /**
     * Runs the groups named (all when none) and prints one line per check.
     *
     * @param args group names: {@code fused}, {@code channels-last}, {@code serving}, {@code
     *     layouts}, {@code rnn}
     */
    public static void main(String[] args) {
        List<String> names = new ArrayList<>(Arrays.asList(args));
        // --cpu: runs the checks on the CPU, to try the probe itself on a machine without a GPU
        // (the CUDA-only expectations then fail)
        Device gpu = names.remove("--cpu") ? Device.cpu() : Device.gpu();
        List<String> groups =
                names.isEmpty() ? List.of("fused", "channels-last", "serving", "layouts", "rnn") : names;
        System.out.println("device " + gpu + ", engine " + Engine.getEngine("PyTorch").getVersion());
        for (String group : groups) {
            switch (group) {
                case "fused" -> {
                    fused(gpu);
                    fp16FlaggedStep(gpu);
                }
                case "channels-last" -> channelsLast(gpu);
                case "serving" -> serving(gpu);
                case "layouts" -> layouts(gpu);
                case "rnn" -> recurrent(gpu);
                default -> fail("args", "unknown group " + group);
            }
        }
        System.out.println(failures.isEmpty() ? "ALL PASSED" : "FAILED " + failures.size() + " " + failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static void pass(String name, String detail) {
        System.out.println("PASS " + name + ": " + detail);
    }

    private static void fail(String name, String detail) {
        failures.add(name);
        System.out.println("FAIL " + name + ": " + detail);
    }

    private static void check(String name, boolean ok, String detail) {
        if (ok) {
            pass(name, detail);
        } else {
            fail(name, detail);
        }
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void guarded(String name, Check check) {
        // a JVM abort leaves this as the last line: the check that was running
        System.out.println("RUN " + name);
        System.out.flush();
        try {
            check.run();
        } catch (Throwable e) {
            fail(name, e.toString());
        }
    }

    // ---- models, data, training

    private static Block mlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(256).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(256).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(4).build());
    }

    private static Block convNet() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(32).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optStride(new Shape(2, 2)).setFilters(64).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(4).build());
    }

    private static Optimizer sgd() {
        return Optimizer.sgd()
                .setLearningRateTracker(Tracker.fixed(0.01f))
                .optMomentum(0.9f)
                .optWeightDecays(1e-4f)
                .build();
    }

    private static Optimizer adam() {
        return Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).optEpsilon(1e-4f).build();
    }

    private static NDArray inputs(NDManager manager, Shape shape, int step, boolean inf) {
        Random random = new Random(1000 + step);
        float[] x = new float[(int) shape.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        if (inf) {
            x[0] = Float.POSITIVE_INFINITY;
        }
        return manager.create(x, shape);
    }

    private static NDArray targets(NDManager manager, int batch) {
        float[] y = new float[batch * 4];
        for (int i = 0; i < y.length; i++) {
            y[i] = (i % 7) / 7f - 0.5f;
        }
        return manager.create(y, new Shape(batch, 4));
    }

    /** What a run left: weights (as fp32), path, skipped steps, which 4-D parameters are NHWC. */
    private record Run(float[] weights, String path, long skipped, List<Boolean> nhwc, List<Boolean> workingNhwc) {}

    /** Trains {@code steps} steps, the last one with an inf input when {@code infLast}. */
    private static Run train(
            Device gpu,
            Supplier<Block> block,
            Shape input,
            PrecisionConfig precision,
            Supplier<Optimizer> optimizer,
            int steps,
            boolean infLast,
            float[][] beforeLast) {
        Engine.getEngine("PyTorch").setRandomSeed(11);
        try (Model model = Model.newInstance("probe", gpu, "PyTorch")) {
            model.setBlock(block.get());
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(
                            model,
                            new DefaultTrainingConfig(Loss.l2Loss())
                                    .optOptimizer(optimizer.get())
                                    .optDevices(new Device[] {gpu}),
                            precision)) {
                trainer.initialize(input);
                for (int step = 0; step < steps; step++) {
                    boolean inf = infLast && step == steps - 1;
                    if (inf && beforeLast != null) {
                        beforeLast[0] = weights(model);
                    }
                    try (NDManager scope = trainer.getManager().newSubManager()) {
                        NDArray x = inputs(scope, input, step, inf);
                        NDArray y = targets(scope, (int) input.get(0));
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDList out = trainer.forward(new NDList(x));
                            collector.backward(trainer.getLoss().evaluate(new NDList(y), out));
                        }
                        trainer.step();
                    }
                }
                ChannelsLastFormat format = new ChannelsLastFormat(LibTorchMemoryFormat.get());
                List<Boolean> nhwc = new ArrayList<>();
                List<Boolean> working = new ArrayList<>();
                for (Parameter parameter : model.getBlock().getParameters().values()) {
                    if (parameter.getArray().getShape().dimension() == 4) {
                        nhwc.add(format.isChannelsLast(parameter.getArray()));
                        working.add(format.isChannelsLast(trainer.getWorkingParameter(parameter)));
                    }
                }
                return new Run(weights(model), trainer.getPlugin().getPath(), trainer.getSkippedSteps(), nhwc, working);
            }
        }
    }

    private static float[] weights(Model model) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            float[] values = parameter.getArray().toType(DataType.FLOAT32, true).toFloatArray();
            parts.add(values);
            total += values.length;
        }
        float[] flat = new float[total];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, flat, at, part.length);
            at += part.length;
        }
        return flat;
    }

    /** The largest |a - b| in units of fp16's spacing at max(|a|, |b|) (subnormal spacing below). */
    private static double maxFp16Ulps(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double magnitude = Math.max(Math.abs(a[i]), Math.abs(b[i]));
            double ulp = Math.max(Math.scalb(1.0, Math.getExponent(Math.max(magnitude, 6.1e-5)) - 10), Math.scalb(1.0, -24));
            worst = Math.max(worst, Math.abs(a[i] - b[i]) / ulp);
        }
        return worst;
    }

    /** ||a - b|| / ||b||. */
    private static double relativeDistance(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (double) (a[i] - b[i]) * (a[i] - b[i]);
            norm += (double) b[i] * b[i];
        }
        return Math.sqrt(diff / Math.max(norm, 1e-30));
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static PrecisionConfig config(String precision, String level, OptimizerFusion fusion, ChannelsLast format) {
        PrecisionConfig.Builder builder =
                PrecisionConfig.builder().optPrecision(precision).optOptimizerFusion(fusion).optChannelsLast(format);
        if (level != null) {
            builder.optAmpLevel(level);
        }
        return builder.build();
    }

    // ---- groups

    private static void fused(Device gpu) {
        for (String level : new String[] {null, "O3"}) {
            String precision = level == null ? "16-true" : "16-mixed";
            String name = level == null ? "16-true" : "16-mixed O3";
            for (int steps : new int[] {1, 10}) {
                String check = "fused " + name + " SGD equals unfused after " + steps + " step(s)";
                guarded(check, () -> {
                    Run unfused = train(gpu, CudaSpeedProbe::mlp, MLP_INPUT, config(precision, level, OptimizerFusion.NEVER, ChannelsLast.AUTO), CudaSpeedProbe::sgd, steps, false, null);
                    Run fused = train(gpu, CudaSpeedProbe::mlp, MLP_INPUT, config(precision, level, OptimizerFusion.AUTO, ChannelsLast.AUTO), CudaSpeedProbe::sgd, steps, false, null);
                    double ulps = maxFp16Ulps(fused.weights(), unfused.weights());
                    // DJL's fp16 SGD rounds after each of its operations, the fused kernel once in
                    // fp32: at most about two fp16 units per step apart
                    check(check,
                            fused.path().contains("fused-sgd") && !unfused.path().contains("optimizer:") && ulps <= 2.0 * steps + 1,
                            "max " + String.format("%.2f", ulps) + " fp16 ulps (allowed " + (2 * steps + 1) + "), relative distance "
                                    + String.format("%.2e", relativeDistance(fused.weights(), unfused.weights()))
                                    + "; paths [" + fused.path() + "] vs [" + unfused.path() + "]");
                });
            }
        }
    }

    /**
     * The fused kernel on fp16 parameters given the step's non-finite flag (as a loss-scaled step
     * passes it): set, parameter and momentum stay bit-identical; clear, the parameter moves.
     * ({@code 16-true} itself checks no gradients, as Lightning's: its steps pass no flag.)
     */
    private static void fp16FlaggedStep(Device gpu) {
        String check = "fused SGD on fp16 parameters skips a flagged step bit-identically";
        guarded(check, () -> {
            try (NDManager manager = NDManager.newBaseManager(gpu, "PyTorch");
                    LibTorchFusedOptimizer fused = new FusedSgd(LibTorchAmp.get(), DjlOptimizerSettings.of(sgd()))) {
                NDArray parameter = manager.randomNormal(new Shape(64, 32)).toType(DataType.FLOAT16, false);
                NDArray gradient = manager.randomNormal(new Shape(64, 32)).toType(DataType.FLOAT16, false);
                NDArray clear = manager.zeros(new Shape(1));
                NDArray set = manager.ones(new Shape(1));
                NDArray initial = parameter.duplicate();
                fused.step(List.of("w"), List.of(parameter), List.of(gradient), clear);
                float[] afterOne = parameter.toType(DataType.FLOAT32, true).toFloatArray();
                fused.step(List.of("w"), List.of(parameter), List.of(gradient), set);
                float[] afterFlagged = parameter.toType(DataType.FLOAT32, true).toFloatArray();
                fused.step(List.of("w"), List.of(parameter), List.of(gradient), clear);
                float[] afterTwo = parameter.toType(DataType.FLOAT32, true).toFloatArray();
                // the flagged step left the momentum as it was: two clear steps give the same
                float[] twoClear;
                try (LibTorchFusedOptimizer reference = new FusedSgd(LibTorchAmp.get(), DjlOptimizerSettings.of(sgd()))) {
                    reference.step(List.of("w"), List.of(initial), List.of(gradient), clear);
                    reference.step(List.of("w"), List.of(initial), List.of(gradient), clear);
                    twoClear = initial.toType(DataType.FLOAT32, true).toFloatArray();
                }
                check(check,
                        Arrays.equals(afterOne, afterFlagged) && !Arrays.equals(afterOne, afterTwo)
                                && Arrays.equals(afterTwo, twoClear),
                        "flagged step bit-identical " + Arrays.equals(afterOne, afterFlagged)
                                + ", next step applied " + !Arrays.equals(afterOne, afterTwo)
                                + ", momentum untouched (equals two unflagged steps) " + Arrays.equals(afterTwo, twoClear));
            }
        });
    }

    private static void channelsLast(Device gpu) {
        String[][] cases = {{"16-mixed", null}, {"bf16-mixed", null}, {"16-true", null}, {"16-mixed", "O2"}};
        for (String[] c : cases) {
            String name = c[0] + (c[1] == null ? "" : " " + c[1]);
            String check = "channels-last by default, fused SGD momentum, " + name;
            guarded(check, () -> {
                Run on = train(gpu, CudaSpeedProbe::convNet, CONV_INPUT, config(c[0], c[1], OptimizerFusion.AUTO, ChannelsLast.AUTO), CudaSpeedProbe::sgd, 6, false, null);
                Run off = train(gpu, CudaSpeedProbe::convNet, CONV_INPUT, config(c[0], c[1], OptimizerFusion.AUTO, ChannelsLast.NEVER), CudaSpeedProbe::sgd, 6, false, null);
                double distance = relativeDistance(on.weights(), off.weights());
                boolean layouts = !on.nhwc().contains(false) && !on.workingNhwc().contains(false) && !off.nhwc().contains(true);
                check(check,
                        on.path().endsWith("; channels-last") && on.path().contains("fused-sgd") && !off.path().contains("channels-last")
                                && layouts && allFinite(on.weights()) && distance < 2e-2,
                        "relative distance to NEVER " + String.format("%.2e", distance) + ", 4-D parameters NHWC " + on.nhwc()
                                + ", working copies NHWC " + on.workingNhwc() + ", NEVER " + off.nhwc() + "; path [" + on.path() + "]");
            });
        }
        String adam = "channels-last with fused Adam (ALWAYS), 16-mixed";
        guarded(adam, () -> {
            Run on = train(gpu, CudaSpeedProbe::convNet, CONV_INPUT, config("16-mixed", null, OptimizerFusion.ALWAYS, ChannelsLast.AUTO), CudaSpeedProbe::adam, 6, false, null);
            check(adam, on.path().contains("fused-adam") && on.path().endsWith("; channels-last") && allFinite(on.weights()) && !on.nhwc().contains(false),
                    "NHWC " + on.nhwc() + "; path [" + on.path() + "]");
        });
        String fp32 = "32-true keeps the default format";
        guarded(fp32, () -> {
            Run run = train(gpu, CudaSpeedProbe::convNet, CONV_INPUT, config("32-true", null, OptimizerFusion.AUTO, ChannelsLast.AUTO), CudaSpeedProbe::sgd, 2, false, null);
            check(fp32, !run.path().contains("channels-last") && !run.nhwc().contains(true), "NHWC " + run.nhwc() + "; path [" + run.path() + "]");
        });
    }

    private static void serving(Device gpu) {
        for (String precision : List.of("16-mixed", "bf16-mixed", "16-true")) {
            String check = "serving " + precision + " channels-last";
            guarded(check, () -> {
                float[][] outputs = new float[2][];
                String[] paths = new String[2];
                boolean[] nhwc = new boolean[2];
                ChannelsLast[] formats = {ChannelsLast.NEVER, ChannelsLast.AUTO};
                for (int i = 0; i < 2; i++) {
                    Engine.getEngine("PyTorch").setRandomSeed(5);
                    try (Model model = Model.newInstance("serving", gpu, "PyTorch")) {
                        model.setBlock(convNet());
                        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, CONV_INPUT);
                        PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.builder().optPrecision(precision).optChannelsLast(formats[i]).build());
                        paths[i] = block.getPath();
                        ChannelsLastFormat format = new ChannelsLastFormat(LibTorchMemoryFormat.get());
                        nhwc[i] = true;
                        for (Parameter parameter : model.getBlock().getParameters().values()) {
                            if (parameter.getArray().getShape().dimension() == 4) {
                                nhwc[i] &= format.isChannelsLast(parameter.getArray());
                            }
                        }
                        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                                NDManager manager = NDManager.newBaseManager(gpu, "PyTorch")) {
                            NDArray out = predictor.predict(new NDList(inputs(manager, CONV_INPUT, 3, false))).head();
                            outputs[i] = out.toType(DataType.FLOAT32, true).toFloatArray();
                        }
                    }
                }
                double distance = relativeDistance(outputs[1], outputs[0]);
                check(check,
                        paths[1].endsWith("; channels-last") && nhwc[1] && !paths[0].contains("channels-last") && distance < 2e-2,
                        "relative distance " + String.format("%.2e", distance) + ", NHWC " + nhwc[1] + "; paths [" + paths[1] + "] vs [" + paths[0] + "]");
            });
        }
    }

    private static void layouts(Device gpu) {
        String check = "fused SGD momentum with a channels-last parameter and default-format gradient";
        guarded(check, () -> {
            float[][] results = mismatchedLayoutSteps(gpu);
            check(check, Arrays.equals(results[0], results[1]), "equal to the default-format steps " + Arrays.equals(results[0], results[1]));
        });
    }

    /**
     * Three fused SGD steps (momentum) on one 4-D parameter from the same values and gradient: in
     * the default format, and channels-last with the gradient left in the default format, which the
     * optimizer must align before the kernel (LibTorch's CUDA kernel throws on mixed layouts, its
     * CPU kernel pairs elements by address).
     *
     * @return the parameter's values after the default-format steps and after the mixed ones
     */
    static float[][] mismatchedLayoutSteps(Device device) {
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            ChannelsLastFormat format = new ChannelsLastFormat(LibTorchMemoryFormat.get());
            Shape shape = new Shape(8, 4, 3, 3);
            NDArray plain = manager.randomNormal(shape);
            NDArray nhwc = plain.duplicate();
            format.convertParameters(new ParameterHolder(nhwc));
            if (!format.isChannelsLast(nhwc) || format.isChannelsLast(plain)) {
                throw new IllegalStateException("the parameter did not become channels-last");
            }
            NDArray gradient = manager.randomNormal(shape);
            NDArray foundInf = manager.zeros(new Shape(1));
            float[][] results = new float[2][];
            NDArray[] parameters = {plain, nhwc};
            for (int i = 0; i < 2; i++) {
                try (LibTorchFusedOptimizer fused = new FusedSgd(LibTorchAmp.get(), DjlOptimizerSettings.of(sgd()))) {
                    for (int step = 0; step < 3; step++) {
                        fused.step(List.of("w"), List.of(parameters[i]), List.of(gradient), foundInf);
                    }
                }
                results[i] = parameters[i].toFloatArray();
            }
            return results;
        }
    }

    /**
     * Trains DJL's LSTM and GRU (two layers) for a few steps in each 16-bit
     * precision. LibTorch prints its "RNN module weights are not part of single contiguous chunk
     * of memory" warning on stderr each time cuDNN must compact the weights; the session script
     * counts those lines around this group's marker lines.
     */
    private static void recurrent(Device gpu) {
        for (String precision : List.of("16-mixed", "bf16-mixed", "16-true")) {
            for (String kind : List.of("LSTM", "GRU")) {
                String check = kind + " trains on CUDA in " + precision;
                guarded(check, () -> {
                    System.out.println("MARK begin " + check);
                    System.out.flush();
                    Engine.getEngine("PyTorch").setRandomSeed(3);
                    Shape input = new Shape(8, 12, 16);
                    try (Model model = Model.newInstance("rnn", gpu, "PyTorch")) {
                        model.setBlock(
                                kind.equals("LSTM")
                                        ? LSTM.builder().setStateSize(32).setNumLayers(2).optBatchFirst(true).build()
                                        : GRU.builder().setStateSize(32).setNumLayers(2).optBatchFirst(true).build());
                        try (PrecisionTrainer trainer =
                                PrecisionTrainer.newTrainer(
                                        model,
                                        new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(sgd()).optDevices(new Device[] {gpu}),
                                        PrecisionConfig.of(precision))) {
                            trainer.initialize(input);
                            for (int step = 0; step < 5; step++) {
                                try (NDManager scope = trainer.getManager().newSubManager()) {
                                    NDArray x = inputs(scope, input, step, false);
                                    try (GradientCollector collector = trainer.newGradientCollector()) {
                                        NDArray out = trainer.forward(new NDList(x)).head();
                                        collector.backward(trainer.getLoss().evaluate(new NDList(out.zerosLike()), new NDList(out)));
                                    }
                                    trainer.step();
                                }
                            }
                            float[] weights = weights(model);
                            System.out.println("MARK end " + check);
                            check(check, allFinite(weights), "path [" + trainer.getPlugin().getPath() + "]");
                        }
                    }
                });
            }
        }
    }

    /** A block holding one array as its parameter, to convert it as a model's. */
    private static final class ParameterHolder extends AbstractBlock {

        ParameterHolder(NDArray array) {
            Parameter parameter = addParameter(Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build());
            parameter.setArray(array);
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            return inputs;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }
}

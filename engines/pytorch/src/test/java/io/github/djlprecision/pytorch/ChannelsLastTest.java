package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.NoopTranslator;
import io.github.djlprecision.ChannelsLast;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The channels-last memory format ({@link ChannelsLast}): on by default only on CUDA under the
 * 16-bit precisions, so on the CPU it is forced with {@code ALWAYS} to show that it changes layouts,
 * not results: a small convolutional net trains to the same weights (within the precision's
 * rounding of a different summation order) with it on and off, through DJL's optimizer and through
 * LibTorch's fused SGD with momentum and fused Adam, whose state must follow the parameters' format;
 * and serves the same outputs.
 */
class ChannelsLastTest {

    private static final int BATCH = 4;
    private static final Shape INPUT = new Shape(BATCH, 3, 6, 6);
    private static final int STEPS = 4;

    /**
     * Two convolutions and a linear head; with batch norm after the first convolution that
     * convolution's bias has a gradient of 0 up to rounding noise, which Adam scales up to steps
     * of the learning rate's size in either direction: Adam trains the net without it.
     */
    private static SequentialBlock convNet(boolean norm) {
        SequentialBlock block = new SequentialBlock();
        block.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(8).build());
        if (norm) {
            block.add(BatchNorm.builder().build());
        }
        return block
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).build())
                .add(Activation.reluBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(2).build());
    }

    private static Model model(boolean norm) {
        Engine.getEngine("PyTorch").setRandomSeed(7);
        Model model = Model.newInstance("channels-last", Device.cpu(), "PyTorch");
        model.setBlock(convNet(norm));
        return model;
    }

    private static PrecisionConfig precision(String value, ChannelsLast format, OptimizerFusion fusion) {
        return PrecisionConfig.builder()
                .optPrecision(value)
                .optChannelsLast(format)
                .optOptimizerFusion(fusion)
                .build();
    }

    private static Optimizer sgd() {
        return Optimizer.sgd()
                .setLearningRateTracker(Tracker.fixed(0.05f))
                .optMomentum(0.9f)
                .optWeightDecays(1e-3f)
                .build();
    }

    private static Optimizer adam() {
        return Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build();
    }

    private static NDArray inputs(NDManager manager, int step) {
        Random random = new Random(100 + step);
        float[] x = new float[(int) INPUT.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return manager.create(x, INPUT);
    }

    private static ChannelsLastFormat format() {
        return new ChannelsLastFormat(LibTorchMemoryFormat.get());
    }

    /** Weights after training, the path, and which 4-D parameters ended channels-last. */
    private record Run(float[] weights, String path, List<Boolean> channelsLast) {}

    private static Run train(PrecisionConfig precision, Supplier<Optimizer> optimizer) {
        try (Model model = model(optimizer.get() instanceof Sgd);
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                new DefaultTrainingConfig(Loss.l2Loss())
                                        .optOptimizer(optimizer.get())
                                        .optDevices(new Device[] {Device.cpu()}),
                                precision)) {
            trainer.initialize(INPUT);
            for (int step = 0; step < STEPS; step++) {
                try (NDManager scope = trainer.getManager().newSubManager()) {
                    NDArray x = inputs(scope, step);
                    NDArray y = scope.create(new float[] {1, -1, 0.5f, 0, -0.5f, 1, 0, 2}, new Shape(BATCH, 2));
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDList out = trainer.forward(new NDList(x));
                        collector.backward(trainer.getLoss().evaluate(new NDList(y), out));
                    }
                    trainer.step();
                }
            }
            List<Boolean> layouts = new ArrayList<>();
            for (Parameter parameter : model.getBlock().getParameters().values()) {
                if (parameter.getArray().getShape().dimension() == 4) {
                    layouts.add(format().isChannelsLast(parameter.getArray()));
                }
            }
            return new Run(Runs.flatWeights(model), trainer.getPlugin().getPath(), layouts);
        }
    }

    @Test
    void channelsLastTrainsToTheSameWeightsThroughFusedSgdWithMomentum() {
        for (String value : List.of("32-true", "16-mixed")) {
            Run off = train(precision(value, ChannelsLast.NEVER, OptimizerFusion.AUTO), ChannelsLastTest::sgd);
            Run on = train(precision(value, ChannelsLast.ALWAYS, OptimizerFusion.AUTO), ChannelsLastTest::sgd);
            assertTrue(on.path().contains("optimizer: fused-sgd"), on.path());
            assertTrue(on.path().endsWith("; channels-last"), on.path());
            assertFalse(off.path().contains("channels-last"), off.path());
            assertEquals(List.of(true, true), on.channelsLast(), value);
            assertEquals(List.of(false, false), off.channelsLast(), value);
            assertArrayEquals(off.weights(), on.weights(), value.equals("32-true") ? 1e-4f : 2e-3f, value);
        }
    }

    @Test
    void channelsLastTrainsToTheSameWeightsThroughDjlsOptimizerAndFusedAdam() {
        Run off = train(precision("32-true", ChannelsLast.NEVER, OptimizerFusion.NEVER), ChannelsLastTest::sgd);
        Run on = train(precision("32-true", ChannelsLast.ALWAYS, OptimizerFusion.NEVER), ChannelsLastTest::sgd);
        assertFalse(on.path().contains("optimizer:"), on.path());
        assertEquals(List.of(true, true), on.channelsLast());
        assertArrayEquals(off.weights(), on.weights(), 1e-4f);

        Run adamOff = train(precision("32-true", ChannelsLast.NEVER, OptimizerFusion.ALWAYS), ChannelsLastTest::adam);
        Run adamOn = train(precision("32-true", ChannelsLast.ALWAYS, OptimizerFusion.ALWAYS), ChannelsLastTest::adam);
        assertTrue(adamOn.path().contains("optimizer: fused-adam"), adamOn.path());
        assertEquals(List.of(true, true), adamOn.channelsLast());
        assertArrayEquals(adamOff.weights(), adamOn.weights(), 1e-4f);
    }

    @Test
    void autoIsOffOnTheCpuAndNeverIsTheOffSwitchOnCuda() {
        Run auto = train(precision("16-mixed", ChannelsLast.AUTO, OptimizerFusion.AUTO), ChannelsLastTest::sgd);
        assertFalse(auto.path().contains("channels-last"), auto.path());
        assertEquals(List.of(false, false), auto.channelsLast());
        Device gpu = Device.gpu(0);
        for (String on : List.of("16-mixed", "bf16-mixed", "16-true")) {
            assertTrue(ChannelsLastPlugin.isEnabled(PrecisionConfig.of(on), gpu), on);
            assertFalse(
                    ChannelsLastPlugin.isEnabled(
                            PrecisionConfig.builder().optPrecision(on).optChannelsLast(ChannelsLast.NEVER).build(), gpu),
                    on);
            assertFalse(ChannelsLastPlugin.isEnabled(PrecisionConfig.of(on), Device.cpu()), on);
        }
        for (String level : List.of("O1", "O2", "O3")) {
            assertTrue(
                    ChannelsLastPlugin.isEnabled(
                            PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel(level).build(), gpu),
                    level);
        }
        assertFalse(
                ChannelsLastPlugin.isEnabled(
                        PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O0").build(), gpu));
        assertFalse(ChannelsLastPlugin.isEnabled(PrecisionConfig.of("32-true"), gpu));
        assertFalse(ChannelsLastPlugin.isEnabled(PrecisionConfig.of("64-true"), gpu));
        assertThrows(IllegalArgumentException.class, () -> PrecisionConfig.builder().optChannelsLast(null));
    }

    @Test
    void inputsAreConvertedPerBatchWithoutTouchingTheCallersArray() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = inputs(manager, 0);
            NDArray flat = manager.create(new float[] {1, 2, 3}, new Shape(3));
            NDList converted = format().convertInputs(new NDList(x, flat));
            assertTrue(format().isChannelsLast(converted.get(0)));
            assertFalse(format().isChannelsLast(x));
            assertEquals(INPUT, converted.get(0).getShape());
            assertArrayEquals(x.toFloatArray(), converted.get(0).toFloatArray());
            assertTrue(converted.get(1) == flat);
            // already channels-last: the list comes back as it is
            NDList again = new NDList(converted.get(0));
            assertTrue(format().convertInputs(again) == again);
        }
    }

    @Test
    void fusedSgdAlignsAGradientInAnotherLayoutBeforeTheKernel() {
        float[][] results = CudaSpeedProbe.mismatchedLayoutSteps(Device.cpu());
        assertArrayEquals(results[0], results[1]);
    }

    @Test
    void servingRunsChannelsLastWithTheSameOutputs() throws Exception {
        float[][] outputs = new float[2][];
        String[] paths = new String[2];
        ChannelsLast[] formats = {ChannelsLast.NEVER, ChannelsLast.ALWAYS};
        for (int i = 0; i < 2; i++) {
            try (Model model = model(true)) {
                model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, INPUT);
                PrecisionBlock block =
                        PrecisionBlock.wrap(model, PrecisionConfig.builder().optChannelsLast(formats[i]).build());
                paths[i] = block.getPath();
                for (Parameter parameter : model.getBlock().getParameters().values()) {
                    if (parameter.getArray().getShape().dimension() == 4) {
                        assertEquals(formats[i] == ChannelsLast.ALWAYS, format().isChannelsLast(parameter.getArray()), parameter.getName());
                    }
                }
                try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                    outputs[i] = predictor.predict(new NDList(inputs(manager, 9))).head().toFloatArray();
                }
            }
        }
        assertFalse(paths[0].contains("channels-last"), paths[0]);
        assertTrue(paths[1].endsWith("; channels-last"), paths[1]);
        assertArrayEquals(outputs[0], outputs[1], 1e-4f);
    }
}

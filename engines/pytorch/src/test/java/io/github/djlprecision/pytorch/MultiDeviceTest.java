package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The multi-device step driven on the CPU. DJL's data-parallel training splits each batch over the
 * config's devices and runs one forward and backward per split, each block fetching its parameters
 * for the split's device from the trainer's {@code ParameterStore}. A CPU has one device, so here a
 * block fetches them for the device the test names (a second CPU device that holds its own copies of
 * every parameter): the same store, copies, gradients per device, sum, check, update and copy back
 * as on several GPUs.
 */
class MultiDeviceTest {

    private static final Device[] TWO = {Device.cpu(), secondCpu()};
    private static final int BATCH = 8;
    private static final int FEATURES = 6;
    private static final int CLASSES = 3;

    /** The device the next forward fetches its parameters for, as a split's device would be. */
    private static final ThreadLocal<Device> SPLIT = ThreadLocal.withInitial(Device::cpu);

    /** A linear layer that takes its parameters for the split's device. */
    static final class RoutedLinear extends AbstractBlock {

        private final Parameter weight;
        private final Parameter bias;

        RoutedLinear() {
            weight =
                    addParameter(
                            Parameter.builder()
                                    .setName("weight")
                                    .setType(Parameter.Type.WEIGHT)
                                    .build());
            bias =
                    addParameter(
                            Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> p) {
            NDArray w = store.getValue(weight, SPLIT.get(), training);
            NDArray b = store.getValue(bias, SPLIT.get(), training);
            return new NDList(inputs.head().getNDArrayInternal().linear(inputs.head(), w, b).head());
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputs) {
            return new Shape[] {new Shape(inputs[0].get(0), CLASSES)};
        }

        @Override
        protected void initializeChildBlocks(
                NDManager manager, DataType dataType, Shape... inputShapes) {}

        @Override
        public void prepare(Shape[] inputShapes) {
            weight.setShape(new Shape(CLASSES, inputShapes[0].get(1)));
            bias.setShape(new Shape(CLASSES));
        }
    }

    /**
     * A second CPU device: DJL's {@code Device.of} maps every CPU id to the one CPU, so the device
     * is made with DJL's private constructor. It is a CPU to LibTorch and a device of its own to the
     * parameter store, which keeps separate copies of every parameter for it.
     */
    private static Device secondCpu() {
        try {
            java.lang.reflect.Constructor<Device> constructor =
                    Device.class.getDeclaredConstructor(String.class, int.class);
            constructor.setAccessible(true);
            return constructor.newInstance(Device.Type.CPU, 1);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Model model() {
        Engine.getEngine("PyTorch").setRandomSeed(3);
        Model model = Model.newInstance("routed", Device.cpu(), "PyTorch");
        RoutedLinear block = new RoutedLinear();
        block.setInitializer(new NormalInitializer(0.1f), Parameter.Type.WEIGHT);
        model.setBlock(block);
        return model;
    }

    private static DefaultTrainingConfig config(Device... devices) {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(
                        Optimizer.sgd()
                                .setLearningRateTracker(Tracker.fixed(0.1f))
                                .optMomentum(0.9f)
                                .build())
                .optDevices(devices);
    }

    private static NDArray inputs(NDManager manager, int step) {
        return manager.arange(BATCH * FEATURES)
                .reshape(BATCH, FEATURES)
                .toType(DataType.FLOAT32, false)
                .div(50f)
                .add(step * 0.01f);
    }

    private static NDArray labels(NDManager manager) {
        return manager.arange(BATCH).toType(DataType.FLOAT32, false).mod(CLASSES);
    }

    /**
     * One step as {@code EasyTrain.trainBatch} runs it: the batch split in halves, one forward and
     * backward per device; an inf may be put into one device's half.
     */
    private static void step(PrecisionTrainer trainer, int step, int poisonedDevice) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = inputs(scope, step);
            if (poisonedDevice >= 0) {
                x.set(new NDIndex(poisonedDevice * BATCH / 2), Float.POSITIVE_INFINITY);
            }
            NDArray y = labels(scope);
            Device[] devices = trainer.getDevices();
            int size = BATCH / devices.length;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                for (int d = 0; d < devices.length; d++) {
                    SPLIT.set(devices[d]);
                    NDIndex part = new NDIndex(d * size + ":" + (d + 1) * size);
                    NDList out = trainer.forward(new NDList(x.get(part)));
                    collector.backward(trainer.getLoss().evaluate(new NDList(y.get(part)), out));
                }
            } finally {
                SPLIT.remove();
            }
            trainer.step();
        }
    }

    private static PrecisionConfig precision(String value, OptimizerFusion fusion) {
        return PrecisionConfig.builder()
                .optPrecision(value)
                .optOptimizerFusion(fusion)
                .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                .build();
    }

    /**
     * After each step: the model's weights, and what each device's forward computes with (for
     * Apex O2 its fp16 working copies).
     */
    private record Run(
            List<float[]> first,
            List<float[]> computedFirst,
            List<float[]> second,
            long skipped,
            float scale) {}

    private static Run train(PrecisionConfig precision, Device[] devices, int... poisoned) {
        try (Model model = model();
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, config(devices), precision)) {
            trainer.initialize(new Shape(BATCH / devices.length, FEATURES));
            List<float[]> first = new ArrayList<>();
            List<float[]> computedFirst = new ArrayList<>();
            List<float[]> second = new ArrayList<>();
            for (int i = 0; i < poisoned.length; i++) {
                step(trainer, i, poisoned[i]);
                first.add(Runs.flatWeights(model));
                computedFirst.add(copyOn(trainer, model, devices[0]));
                if (devices.length > 1) {
                    second.add(copyOn(trainer, model, devices[1]));
                }
            }
            return new Run(
                    first,
                    computedFirst,
                    second,
                    trainer.getSkippedSteps(),
                    trainer.getLastOutcome().orElseThrow().lossScale());
        }
    }

    /** What a device's forward computes with. */
    private static float[] copyOn(PrecisionTrainer trainer, Model model, Device device) {
        List<Float> values = new ArrayList<>();
        ParameterStore store = trainer.getParameterStore();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            NDArray copy = store.getValue(parameter, device, false);
            if (device != Device.cpu()) {
                assertNotSame(parameter.getArray(), copy);
            }
            for (float v : copy.toType(DataType.FLOAT32, false).toFloatArray()) {
                values.add(v);
            }
        }
        float[] flat = new float[values.size()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = values.get(i);
        }
        return flat;
    }

    @Test
    void twoDevicesTrainAsOneWithTheSameGlobalBatchAndKeepTheirCopiesEqual() {
        for (String value : List.of("32-true", "16-mixed", "bf16-mixed", "apex-O2")) {
            for (OptimizerFusion fusion : List.of(OptimizerFusion.NEVER, OptimizerFusion.AUTO)) {
                PrecisionConfig config =
                        value.equals("apex-O2")
                                ? PrecisionConfig.builder()
                                        .optPrecision("16-mixed")
                                        .optAmpLevel("O2")
                                        .optOptimizerFusion(fusion)
                                        .build()
                                : precision(value, fusion);
                Run one = train(config, new Device[] {Device.cpu()}, -1, -1, -1, -1);
                Run two = train(config, TWO, -1, -1, -1, -1);
                String what = value + " " + fusion;
                for (int i = 0; i < 4; i++) {
                    // averaged over the devices: the global batch's mean gradient, up to the order
                    // of the sum (16-bit recipes round each half's activations separately)
                    assertArrayEquals(one.first().get(i), two.first().get(i), 2e-3f, what);
                    assertArrayEquals(
                            two.computedFirst().get(i), two.second().get(i), 0f, what);
                }
            }
        }
    }

    @Test
    void anInfOnOneDeviceSkipsTheStepOnEveryDevice() {
        for (OptimizerFusion fusion : List.of(OptimizerFusion.NEVER, OptimizerFusion.AUTO)) {
            Run run = train(precision("16-mixed", fusion), TWO, -1, 1, -1);
            assertEquals(1, run.skipped(), fusion.toString());
            // the skipped step left both copies as the first step made them, bit for bit
            assertArrayEquals(run.first().get(0), run.first().get(1), 0f);
            assertArrayEquals(run.computedFirst().get(0), run.second().get(1), 0f);
            assertFalse(java.util.Arrays.equals(run.first().get(1), run.first().get(2)));
            assertArrayEquals(run.computedFirst().get(2), run.second().get(2), 0f);
            assertEquals(512f, run.scale(), fusion.toString());
            assertTrue(Runs.allFinite(run.first().get(2)));
        }
    }
}

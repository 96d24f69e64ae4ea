package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Child-JVM entry for bf16 cases that could abort the process. Modes: {@code guarded} asks for
 * bf16-mixed on a model with a softmax lambda through the library; {@code safe-blocks} trains one
 * step of every block the guard allows under bf16; {@code unguarded} calls DJL's softmax on a bf16
 * tensor directly, to show what the guard prevents.
 */
public final class Bf16Probe {

    private Bf16Probe() {}

    public static void main(String[] args) {
        switch (args[0]) {
            case "guarded":
                guarded();
                break;
            case "safe-blocks":
                safeBlocks();
                break;
            case "unguarded":
                unguarded();
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }

    private static void guarded() {
        try (Model model = Model.newInstance("softmax", Device.cpu(), "PyTorch")) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(4).build())
                            .add(new LambdaBlock(x -> new NDList(x.head().softmax(1)), "softmax")));
            PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), PrecisionConfig.of("bf16-mixed"))
                    .close();
            System.out.println("ACCEPTED");
        } catch (UnsupportedPrecisionException e) {
            System.out.println("REFUSED: " + e.getMessage());
        }
    }

    private static void safeBlocks() {
        Map<String, Supplier<Block>> blocks = new LinkedHashMap<>();
        Shape flat = new Shape(4, 6);
        blocks.put("Linear", () -> Linear.builder().setUnits(3).build());
        blocks.put("BatchNorm", () -> BatchNorm.builder().build());
        blocks.put("LayerNorm", () -> LayerNorm.builder().build());
        blocks.put("Dropout", () -> Dropout.builder().optRate(0.5f).build());
        for (String name : Bf16BlockGuard.SAFE_LAMBDAS) {
            blocks.put(name, () -> lambdaNamed(name));
        }
        for (Map.Entry<String, Supplier<Block>> entry : blocks.entrySet()) {
            step(entry.getKey(), new SequentialBlock().add(Linear.builder().setUnits(6).build()).add(entry.getValue().get()), flat);
        }
        step("Conv1d", Conv1d.builder().setKernelShape(new Shape(3)).setFilters(2).build(), new Shape(2, 3, 8));
        step("Conv2d", Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(2).build(), new Shape(2, 3, 8, 8));
        step("Conv3d", Conv3d.builder().setKernelShape(new Shape(3, 3, 3)).setFilters(2).build(), new Shape(2, 3, 5, 5, 5));
        step(
                "ConvNet",
                new SequentialBlock()
                        .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock())
                        .add(ai.djl.nn.Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(3).build()),
                new Shape(2, 3, 8, 8));
        System.out.println("ALL SAFE");
    }

    private static Block lambdaNamed(String name) {
        switch (name) {
            case "ReLU": return Activation.reluBlock();
            case "ReLU6": return Activation.relu6Block();
            case "sigmoid": return Activation.sigmoidBlock();
            case "Tanh": return Activation.tanhBlock();
            case "GELU": return Activation.geluBlock();
            case "LeakyReLU": return Activation.leakyReluBlock(0.1f);
            case "ELU": return Activation.eluBlock(1f);
            case "identity": return ai.djl.nn.Blocks.identityBlock();
            case "batchFlatten": return ai.djl.nn.Blocks.batchFlattenBlock();
            default: throw new IllegalArgumentException("no factory for lambda " + name);
        }
    }

    /** One forward and backward under bf16-mixed; the outputs must be bf16-exact fp32. */
    private static void step(String name, Block block, Shape input) {
        Engine.getEngine("PyTorch").setRandomSeed(1);
        try (Model model = Model.newInstance(name, Device.cpu(), "PyTorch")) {
            model.setBlock(block);
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(
                            model,
                            new ai.djl.training.DefaultTrainingConfig(ai.djl.training.loss.Loss.l2Loss())
                                    .optDevices(new Device[] {Device.cpu()}),
                            PrecisionConfig.of("bf16-mixed"))) {
                trainer.initialize(input);
                NDManager manager = trainer.getManager();
                NDArray x = manager.randomNormal(input);
                NDList out;
                try (ai.djl.training.GradientCollector collector = trainer.newGradientCollector()) {
                    out = trainer.forward(new NDList(x));
                    collector.backward(out.head().square().mean());
                }
                trainer.step();
                if (out.head().getDataType() != DataType.FLOAT32) {
                    throw new IllegalStateException(name + " output is " + out.head().getDataType());
                }
                System.out.println("OK " + name);
            }
        }
    }

    private static void unguarded() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = manager.ones(new Shape(2, 4));
            NDArray w = manager.ones(new Shape(4, 4));
            NativeAutocast autocast = new NativeAutocast(LibTorchAmp.get());
            try (ForwardContext ignored = autocast.enter(Device.cpu(), DataType.BFLOAT16)) {
                NDArray bf16 = x.matMul(w);
                System.out.println("dtype " + bf16.getDataType());
                System.out.flush();
                bf16.softmax(1);
            }
            System.out.println("SURVIVED");
        }
    }
}

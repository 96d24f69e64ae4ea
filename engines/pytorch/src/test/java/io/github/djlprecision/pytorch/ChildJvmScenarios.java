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
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.training.PrecisionTrainer;

/**
 * Scenarios that would abort the JVM if a guard failed (DJL terminates the process when bf16
 * reaches softmax), so BadInputTest runs each in a child JVM and reads its exit code and output.
 */
public final class ChildJvmScenarios {

    private ChildJvmScenarios() {}

    /** A model with DJL's softmax inside: fine in fp16 and fp32, fatal to the JVM in bf16. */
    static Model softmaxModel() {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        Model model = Model.newInstance("softmax", Device.cpu(), "PyTorch");
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(32).build())
                        .add(Activation.reluBlock())
                        .add(new LambdaBlock(x -> new NDList(x.head().softmax(-1)), "softmax"))
                        .add(Linear.builder().setUnits(ClassificationTask.CLASSES).build()));
        return model;
    }

    /**
     * Runs one scenario.
     *
     * @param args the scenario's name
     */
    public static void main(String[] args) {
        switch (args[0]) {
            case "bf16-softmax-refused":
                try (Model model = softmaxModel()) {
                    PrecisionTrainer.newTrainer(
                            model, ClassificationTask.adamConfig(), PrecisionConfig.of("bf16-mixed"));
                    System.out.println("ACCEPTED");
                } catch (UnsupportedPrecisionException e) {
                    System.out.println("REFUSED " + e.getMessage());
                }
                break;
            case "unguarded-bf16-softmax":
                // the control: what the guards prevent, done by hand
                NativeAutocast autocast = new NativeAutocast(LibTorchAmp.get());
                try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                        ForwardContext ignored = autocast.enter(Device.cpu(), DataType.BFLOAT16)) {
                    NDArray out = manager.ones(new Shape(2, 4)).matMul(manager.ones(new Shape(4, 4)));
                    System.out.println("DTYPE " + out.getDataType());
                    System.out.flush();
                    out.softmax(-1);
                    System.out.println("SURVIVED");
                }
                break;
            default:
                throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
        System.out.flush();
        System.exit(0);
    }
}

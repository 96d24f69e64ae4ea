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
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenarios that would abort the JVM if a guard failed (DJL terminates the process when bf16
 * reaches softmax), so the tests run each in a child JVM and read its exit code and output.
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
     * Trains, under bf16-mixed, models whose user blocks call softmax: a lambda named like DJL's
     * ReLU, a singleton lambda named like batchFlatten, an AbstractBlock subclass, a Linear
     * subclass, a user block as the whole model; then a lambda that records the types it sees, and
     * inference through PrecisionBlock. Prints one line per model.
     */
    private static void userBlocks() {
        train("lambda-named-ReLU", UserBlocks.between(UserBlocks.lambdaNamedRelu()));
        train(
                "singleton-named-batchFlatten",
                UserBlocks.between(UserBlocks.singletonNamedBatchFlatten()));
        train("AbstractBlock-subclass", UserBlocks.between(new UserBlocks.SoftmaxBlock()));
        train(
                "Linear-subclass",
                new SequentialBlock().add(new UserBlocks.SoftmaxLinear()).add(UserBlocks.dense(4)));
        train("user-block-as-model", new UserBlocks.SoftmaxBlock());
        List<String> seen = new ArrayList<>();
        train("recorder", UserBlocks.between(UserBlocks.recorder(seen)));
        System.out.println("SEEN " + seen);
        train(
                "verified-only",
                new SequentialBlock()
                        .add(UserBlocks.dense(8))
                        .add(Activation.reluBlock())
                        .add(UserBlocks.dense(4)));
        predict("inference-lambda-named-ReLU", UserBlocks.between(UserBlocks.lambdaNamedRelu()));
    }

    /**
     * Three bf16-mixed training steps; prints the path, whether the weights changed and stayed
     * finite, and whether the last output was bf16-exact (computed in bf16 by its last layer).
     */
    private static void train(String name, Block block) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        try (Model model = Model.newInstance(name, Device.cpu(), "PyTorch")) {
            model.setBlock(block);
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(
                            model,
                            ClassificationTask.adamConfig(),
                            PrecisionConfig.of("bf16-mixed"))) {
                trainer.initialize(Runs.inputShape());
                float[] before = Runs.flatWeights(model);
                for (int i = 0; i < 3; i++) {
                    Runs.step(trainer, i, Runs.Batch.NORMAL);
                }
                float[] after = Runs.flatWeights(model);
                boolean exact;
                try (NDManager scope = trainer.getManager().newSubManager()) {
                    NDArray out =
                            trainer.evaluate(new NDList(Runs.input(scope, 0, Runs.Batch.NORMAL)))
                                    .head();
                    exact = isBf16Exact(out.toFloatArray());
                }
                System.out.println(
                        "TRAINED "
                                + name
                                + " | "
                                + trainer.getPlugin().getPath()
                                + " | changed="
                                + !java.util.Arrays.equals(before, after)
                                + " finite="
                                + Runs.allFinite(after)
                                + " bf16-exact-output="
                                + exact);
            }
        }
        System.out.flush();
    }

    /** Inference through PrecisionBlock and DJL's Predictor. */
    private static void predict(String name, Block block) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        try (Model model = Model.newInstance(name, Device.cpu(), "PyTorch")) {
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, Runs.inputShape());
            PrecisionBlock wrapped = PrecisionBlock.wrap(model, PrecisionConfig.of("bf16-mixed"));
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                    NDManager scope = model.getNDManager().newSubManager()) {
                NDList out = predictor.predict(new NDList(Runs.input(scope, 0, Runs.Batch.NORMAL)));
                System.out.println(
                        "PREDICTED "
                                + name
                                + " | "
                                + wrapped.getPlugin().getPath()
                                + " | "
                                + out.head().getDataType()
                                + " finite="
                                + Runs.allFinite(out.head().toFloatArray()));
            } catch (TranslateException e) {
                throw new IllegalStateException(e);
            }
        }
        System.out.flush();
    }

    private static boolean isBf16Exact(float[] values) {
        for (float v : values) {
            if ((Float.floatToRawIntBits(v) & 0xFFFF) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs one scenario.
     *
     * @param args the scenario's name
     */
    public static void main(String[] args) {
        switch (args[0]) {
            case "bf16-user-blocks":
                userBlocks();
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

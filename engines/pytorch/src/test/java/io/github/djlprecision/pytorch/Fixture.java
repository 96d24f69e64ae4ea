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
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A small regression task and helpers to train it and look inside, shared by the tests. */
final class Fixture {

    static final Device CPU = Device.cpu();
    static final int BATCH = 64;
    static final int FEATURES = 8;
    static final int OUTPUTS = 2;

    /**
     * Xavier drawn in fp32, then rounded to the type asked for: with one seed, every precision
     * starts from the same weights up to that rounding (DJL's initializers draw differently per type).
     */
    static final Initializer SAME_IN_EVERY_TYPE =
            (manager, shape, type) -> {
                NDArray fp32 = new XavierInitializer().initialize(manager, shape, DataType.FLOAT32);
                if (type == DataType.FLOAT32) {
                    return fp32;
                }
                try (fp32) {
                    return fp32.toType(type, false);
                }
            };

    private Fixture() {}

    /** Linear-ReLU-Linear-ReLU-Linear, with batch norm and layer norm after the hidden linears. */
    static SequentialBlock mlp(boolean norms) {
        SequentialBlock block = new SequentialBlock();
        block.add(Linear.builder().setUnits(32).build());
        if (norms) {
            block.add(BatchNorm.builder().build());
        }
        block.add(Activation.reluBlock());
        block.add(Linear.builder().setUnits(32).build());
        if (norms) {
            block.add(LayerNorm.builder().build());
        }
        block.add(Activation.reluBlock());
        block.add(Linear.builder().setUnits(OUTPUTS).build());
        return block;
    }

    /** The same seed gives the same initial parameters (before their rounding to the type). */
    static Model model(Block block, long seed) {
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        Model model = Model.newInstance("fixture", CPU, "PyTorch");
        model.setBlock(block);
        return model;
    }

    static PrecisionTrainer trainer(Model model, PrecisionConfig precision, Optimizer optimizer) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.l2Loss())
                        .optInitializer(SAME_IN_EVERY_TYPE, Parameter.Type.WEIGHT)
                        .optOptimizer(optimizer)
                        .optDevices(new Device[] {CPU});
        PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision);
        trainer.initialize(new Shape(BATCH, FEATURES));
        return trainer;
    }

    static Optimizer adam() {
        return Optimizer.adam()
                .optLearningRateTracker(ai.djl.training.tracker.Tracker.fixed(1e-2f))
                .build();
    }

    /**
     * Adam with an epsilon fp16 can hold, for the recipes that keep the optimizer in fp16
     * ({@code 16-true}, Apex O3): DJL's default 1e-8 is 0 there and is refused.
     */
    static Optimizer adamForFp16() {
        return Optimizer.adam()
                .optLearningRateTracker(ai.djl.training.tracker.Tracker.fixed(1e-2f))
                .optEpsilon(1e-4f)
                .build();
    }

    /** y = tanh(x W) with fixed W: inputs and targets from java.util.Random, the same every run. */
    static NDList regression(NDManager manager, long seed) {
        Random random = new Random(seed);
        float[] x = new float[BATCH * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] w = new float[FEATURES * OUTPUTS];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian() * 0.5f;
        }
        NDArray inputs = manager.create(x, new Shape(BATCH, FEATURES));
        NDArray targets = inputs.matMul(manager.create(w, new Shape(FEATURES, OUTPUTS))).tanh();
        return new NDList(inputs, targets);
    }

    /** One training step on a batch, every per-step array closed; returns the loss. */
    static float step(PrecisionTrainer trainer, NDArray inputs, NDArray targets) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = inputs.duplicate();
            NDArray y = targets.duplicate();
            x.attach(scope);
            y.attach(scope);
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList predictions = trainer.forward(new NDList(x));
                NDArray value = trainer.getLoss().evaluate(new NDList(y), predictions);
                loss = value.toType(DataType.FLOAT32, false).getFloat();
                collector.backward(value);
            }
            trainer.step();
            return loss;
        }
    }

    /** Forward and backward without a step: gradients stay on the parameters. */
    static void forwardBackward(PrecisionTrainer trainer, NDArray inputs, NDArray targets) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = inputs.duplicate();
            NDArray y = targets.duplicate();
            x.attach(scope);
            y.attach(scope);
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList predictions = trainer.forward(new NDList(x));
                collector.backward(trainer.getLoss().evaluate(new NDList(y), predictions));
            }
        }
    }

    /** The data type of the trainer's forward output. */
    static DataType outputType(PrecisionTrainer trainer, NDArray inputs) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = inputs.duplicate();
            x.attach(scope);
            return trainer.forward(new NDList(x)).head().getDataType();
        }
    }

    /** Each layer's output type, running the layers one by one inside the plugin's hooks. */
    static List<DataType> layerOutputTypes(
            PrecisionTrainer trainer, SequentialBlock block, NDArray inputs) {
        PrecisionPlugin plugin = trainer.getPlugin();
        List<DataType> types = new ArrayList<>();
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = inputs.duplicate();
            x.attach(scope);
            NDList current = plugin.convertInput(new NDList(x));
            // the arrays the trainer's forward computes with (Apex O2: fp16 working copies)
            ParameterStore store =
                    new ParameterStore(scope, false) {
                        @Override
                        public NDArray getValue(Parameter p, Device device, boolean training) {
                            return trainer.getWorkingParameter(p);
                        }
                    };
            try (ForwardContext ignored = plugin.forwardContext(CPU)) {
                for (Block layer : block.getChildren().values()) {
                    current = layer.forward(store, current, false);
                    types.add(current.head().getDataType());
                }
            }
        }
        return types;
    }

    /** Parameter name (e.g. {@code 02BatchNorm_gamma}) to data type. */
    static Map<String, DataType> parameterTypes(Block block) {
        Map<String, DataType> types = new LinkedHashMap<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            types.put(pair.getKey(), pair.getValue().getArray().getDataType());
        }
        return types;
    }

    /** Trainable parameter name to its gradient's data type. */
    static Map<String, DataType> gradientTypes(Block block) {
        Map<String, DataType> types = new LinkedHashMap<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            if (pair.getValue().requiresGradient()) {
                try (NDArray gradient = pair.getValue().getArray().getGradient()) {
                    types.put(pair.getKey(), gradient.getDataType());
                }
            }
        }
        return types;
    }

    static boolean isNormParameter(String name) {
        return name.contains("Norm");
    }
}

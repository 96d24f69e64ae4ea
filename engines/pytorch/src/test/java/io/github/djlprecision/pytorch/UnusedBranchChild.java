package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.Arrays;

/**
 * A model with a head no loss depends on, trained in a fresh JVM: DJL hands out float32 zeros as
 * the gradient of a parameter that got none, and LibTorch's fused SGD, handed those beside float64
 * parameters, threw a C++ exception that ended the JVM. Prints {@code TRAINED}, the path and
 * whether the used and the unused head changed.
 */
public final class UnusedBranchChild {

    private UnusedBranchChild() {}

    /** Two Linear heads; the forward uses the first only. */
    static final class TwoHeads extends AbstractBlock {

        private final Linear used;
        private final Linear unused;

        TwoHeads() {
            used = addChildBlock("used", Linear.builder().setUnits(2).build());
            unused = addChildBlock("unused", Linear.builder().setUnits(2).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> p) {
            return used.forward(store, inputs, training, p);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return used.getOutputShapes(inputShapes);
        }

        @Override
        public void initializeChildBlocks(NDManager manager, DataType type, Shape... shapes) {
            used.initialize(manager, type, shapes);
            unused.initialize(manager, type, shapes);
        }
    }

    /**
     * Trains three steps.
     *
     * @param args the precision
     */
    public static void main(String[] args) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.l2Loss())
                        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
                        .optDevices(new Device[] {Device.cpu()});
        try (Model model = Model.newInstance("unused-branch", Device.cpu(), "PyTorch")) {
            TwoHeads block = new TwoHeads();
            model.setBlock(block);
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of(args[0]))) {
                trainer.initialize(new Shape(4, 3));
                double[] usedBefore = weights(block.used);
                double[] unusedBefore = weights(block.unused);
                NDArray x = trainer.getManager().randomNormal(new Shape(4, 3));
                NDArray y = trainer.getManager().ones(new Shape(4, 2));
                for (int i = 0; i < 3; i++) {
                    Fixture.step(trainer, x, y);
                }
                System.out.println("PATH " + trainer.getPlugin().getPath());
                System.out.println("USED_CHANGED " + !Arrays.equals(usedBefore, weights(block.used)));
                System.out.println(
                        "UNUSED_CHANGED " + !Arrays.equals(unusedBefore, weights(block.unused)));
                System.out.println("TRAINED");
            }
        }
        System.out.flush();
        System.exit(0);
    }

    private static double[] weights(Linear linear) {
        NDArray weight = linear.getParameters().get("weight").getArray();
        return weight.toType(DataType.FLOAT64, false).toDoubleArray();
    }
}

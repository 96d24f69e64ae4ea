package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.util.PairList;

/** Sequence batches (8 rows, 4 steps, 4 features) and a user block that holds an LSTM. */
final class Sequences {

    private Sequences() {}

    /** One training step on reproducible sequences; returns the loss. */
    static float step(Trainer trainer, int step) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x =
                    scope.arange(Runs.BATCH * 16)
                            .reshape(Runs.BATCH, 4, 4)
                            .toType(DataType.FLOAT32, false)
                            .div(50f)
                            .add(step * 0.1f);
            float value;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(x));
                NDArray logits = out.head().reshape(Runs.BATCH, -1);
                NDArray loss =
                        trainer.getLoss()
                                .evaluate(new NDList(Runs.labels(scope)), new NDList(logits));
                value = loss.toType(DataType.FLOAT32, false).getFloat();
                collector.backward(loss);
            }
            trainer.step();
            return value;
        }
    }

    /** A user block: an LSTM it calls itself (not through a DJL container), then a Linear. */
    static final class LstmClassifier extends AbstractBlock {

        private final LSTM lstm;
        private final Linear linear;

        LstmClassifier() {
            lstm = addChildBlock("lstm", LSTM.builder().setStateSize(4).setNumLayers(1).build());
            linear =
                    addChildBlock(
                            "linear",
                            Linear.builder().setUnits(ClassificationTask.CLASSES).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore parameterStore,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            NDArray sequence = lstm.forward(parameterStore, inputs, training, params).head();
            NDArray flat = sequence.reshape(sequence.getShape().get(0), -1);
            return linear.forward(parameterStore, new NDList(flat), training, params);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(inputShapes[0].get(0), ClassificationTask.CLASSES)};
        }

        @Override
        public void initializeChildBlocks(
                NDManager manager, DataType dataType, Shape... inputShapes) {
            lstm.initialize(manager, dataType, inputShapes);
            Shape out = lstm.getOutputShapes(inputShapes)[0];
            linear.initialize(manager, dataType, new Shape(out.get(0), out.get(1) * out.get(2)));
        }
    }
}

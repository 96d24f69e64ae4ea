package io.github.djlprecision.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * DJL's {@link BertBlock} with a classification head: a {@link Linear} layer on the block's pooled
 * output (tanh of a projection of the token at position 1, as {@code BertBlock} computes it).
 * Inputs: token ids, type ids and a mask, each (batch, sequence); output: logits (batch, classes).
 * {@code BertTwin} in {@code twin_models.py} is the same network in PyTorch.
 */
final class BertClassifier extends AbstractBlock {

    private final BertBlock bert;
    private final Linear head;
    private final int classes;

    /**
     * @param bert the encoder
     * @param classes the number of classes of the head
     */
    BertClassifier(BertBlock bert, int classes) {
        this.bert = addChildBlock("bert", bert);
        this.head = addChildBlock("head", Linear.builder().setUnits(classes).build());
        this.classes = classes;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray pooled = bert.forward(parameterStore, inputs, training).get(1);
        return head.forward(parameterStore, new NDList(pooled), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        bert.initialize(manager, dataType, inputShapes);
        head.initialize(manager, dataType, bert.getOutputShapes(inputShapes)[1]);
    }
}

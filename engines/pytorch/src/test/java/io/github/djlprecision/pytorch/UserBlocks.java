package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import java.util.function.Function;

/**
 * Blocks a user could write that call DJL's softmax, which terminates the JVM on a bf16 input:
 * whatever they are named or derived from, they must run as fp32 islands under bf16-mixed.
 */
final class UserBlocks {

    private UserBlocks() {}

    /** Softmax over the last axis: DJL hands the input's data type to native code. */
    static NDList softmax(NDList x) {
        return new NDList(x.head().softmax(-1));
    }

    /** A user lambda that calls softmax, named like DJL's ReLU block. */
    static Block lambdaNamedRelu() {
        return new LambdaBlock(UserBlocks::softmax, "ReLU");
    }

    /** A user lambda named like DJL's block, wrapped as DJL's {@code addSingleton} does. */
    static Block singletonNamedBatchFlatten() {
        return LambdaBlock.singleton(x -> x.softmax(-1), "batchFlatten");
    }

    static Linear dense(int units) {
        return Linear.builder().setUnits(units).build();
    }

    /** {@code Linear -> block -> Linear(4)} */
    static SequentialBlock between(Block block) {
        return new SequentialBlock().add(dense(8)).add(block).add(dense(4));
    }

    /** A user block with a child Linear whose forward applies softmax. */
    static final class SoftmaxBlock extends AbstractBlock {

        private final Linear linear;

        SoftmaxBlock() {
            linear = addChildBlock("linear", dense(8));
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore parameterStore,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            return softmax(linear.forward(parameterStore, inputs, training, params));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return linear.getOutputShapes(inputShapes);
        }

        @Override
        public void initializeChildBlocks(
                ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
            linear.initialize(manager, dataType, inputShapes);
        }
    }

    /** A subclass of DJL's Linear whose forward adds softmax: same class name family, new code. */
    static final class SoftmaxLinear extends Linear {

        SoftmaxLinear() {
            super(Linear.builder().setUnits(8));
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore parameterStore,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            return softmax(super.forwardInternal(parameterStore, inputs, training, params));
        }
    }

    /**
     * A user lambda that records what it sees: the data type of its input, and of a matrix product
     * it computes (bf16 if autocast were on inside it), then applies softmax.
     */
    static Block recorder(List<String> seen) {
        Function<NDList, NDList> record =
                x -> {
                    seen.add("input " + x.head().getDataType());
                    seen.add("matMul " + x.head().matMul(x.head().transpose()).getDataType());
                    return softmax(x);
                };
        return new LambdaBlock(record, "recorder");
    }
}

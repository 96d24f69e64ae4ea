package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.lang.reflect.Field;

/**
 * Gives one of DJL's recurrent blocks its zero initial states in the type of its input, for the
 * true precisions. DJL's {@code LSTM}, {@code GRU} and {@code RNN} make missing states with {@code
 * manager.zeros(shape)}, always fp32, and LibTorch refuses fp32 states beside fp16 or fp64 weights
 * ("mat1 and mat2 must have the same dtype"). A caller's own states are left as they are.
 *
 * <p>The state shape (layers x directions, batch, state size) comes from {@code RecurrentBlock}'s
 * protected fields, read by reflection: DJL has no getter for them, and the batch axis depends on
 * {@code batchFirst}, which no parameter shows.
 */
final class InitialStates extends DelegatingBlock {

    private static final Field STATE_SIZE = field("stateSize");
    private static final Field NUM_LAYERS = field("numLayers");
    private static final Field BIDIRECTIONAL = field("bidirectional");
    private static final Field BATCH_FIRST = field("batchFirst");

    /**
     * Wraps a recurrent block.
     *
     * @param block an LSTM, GRU or RNN (see {@link #isRecurrent})
     */
    InitialStates(Block block) {
        super(block);
    }

    /**
     * Returns whether a block is one of DJL's recurrent blocks (exact classes: a subclass may
     * handle its states another way).
     *
     * @param block a block
     * @return true for LSTM, GRU and RNN
     */
    static boolean isRecurrent(Block block) {
        Class<?> type = block.getClass();
        return type == LSTM.class || type == GRU.class || type == RNN.class;
    }

    /**
     * Returns whether the state shape can be read on this JVM.
     *
     * @return true if the fields are accessible
     */
    static boolean isAvailable() {
        return STATE_SIZE != null
                && NUM_LAYERS != null
                && BIDIRECTIONAL != null
                && BATCH_FIRST != null;
    }

    @Override
    protected NDList forwardWrapped(
            ParameterStore parameterStore,
            NDList inputs,
            NDList labels,
            boolean training,
            PairList<String, Object> params) {
        return callBlock(
                parameterStore,
                withStates(IslandPlan.unwrap(getBlock()), inputs),
                labels,
                training,
                params);
    }

    /**
     * Adds the missing zero states to a recurrent block's fp16 or fp64 inputs, in the input's type;
     * other inputs pass unchanged (DJL's own fp32 states fit fp32 inputs, and no other type is
     * handed to native code).
     *
     * @param block an LSTM, GRU or RNN
     * @param inputs the input, optionally followed by states
     * @return the inputs with every state
     */
    static NDList withStates(Block block, NDList inputs) {
        NDArray input = inputs.head();
        DataType type = input.getDataType();
        int wanted = block instanceof LSTM ? 3 : 2;
        boolean typed = type == DataType.FLOAT16 || type == DataType.FLOAT64;
        if (!typed || inputs.size() >= wanted) {
            return inputs;
        }
        RecurrentBlock recurrent = (RecurrentBlock) block;
        int directions = (boolean) read(BIDIRECTIONAL, recurrent) ? 2 : 1;
        int batchAxis = (boolean) read(BATCH_FIRST, recurrent) ? 0 : 1;
        Shape shape =
                new Shape(
                        (long) (int) read(NUM_LAYERS, recurrent) * directions,
                        input.size(batchAxis),
                        (long) read(STATE_SIZE, recurrent));
        NDList completed = new NDList(inputs);
        while (completed.size() < wanted) {
            completed.add(input.getManager().zeros(shape, type, input.getDevice()));
        }
        return completed;
    }

    private static Object read(Field field, RecurrentBlock block) {
        try {
            return field.get(block);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot read " + field.getName() + " of " + block, e);
        }
    }

    private static Field field(String name) {
        try {
            Field field = RecurrentBlock.class.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djlprecision.plugins.GraphCasts;
import io.github.djlprecision.spi.ForwardContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a block in fp32 while autocast computes the rest of the model in 16 bits, like a region
 * under {@code torch.autocast(enabled=False)} with its inputs cast up: when the calling thread's
 * autocast is on with one of the types this island is for, its 16-bit floating inputs (fp16, and
 * bf16, which DJL reads as {@code UNKNOWN}) are cast to fp32 inside the autograd graph, and
 * autocast is off for the block's whole forward pass. So no bf16 tensor exists inside the block,
 * whatever its code does, and its outputs are fp32. Under any other state the block runs as it is,
 * so the same island serves every plugin of a circuit breaker's ladder.
 */
final class Fp32Island extends DelegatingBlock {

    private final NativeAutocast autocast;
    private final Set<DataType> types = ConcurrentHashMap.newKeySet();

    /**
     * Wraps a block.
     *
     * @param block the block to run in fp32
     * @param autocast LibTorch's autocast
     */
    Fp32Island(Block block, NativeAutocast autocast) {
        super(block);
        this.autocast = autocast;
    }

    /**
     * Makes the island run in fp32 under one more autocast type.
     *
     * @param computeType {@code FLOAT16} or {@code BFLOAT16}
     */
    void addType(DataType computeType) {
        types.add(computeType);
    }

    @Override
    protected NDList forwardWrapped(
            ParameterStore parameterStore,
            NDList inputs,
            NDList labels,
            boolean training,
            PairList<String, Object> params) {
        // the trainer's or predictor's manager is on the device the forward runs on
        Device device = parameterStore.getManager().getDevice();
        DataType active = autocast.activeType(device);
        if (active == null || !types.contains(active)) {
            return callBlock(parameterStore, inputs, labels, training, params);
        }
        try (ForwardContext ignored = autocast.disable(device)) {
            return callBlock(
                    parameterStore, GraphCasts.toFloat32(inputs), labels, training, params);
        }
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.nn.transformer.IdEmbedding;
import ai.djl.nn.transformer.PointwiseFeedForwardBlock;
import java.util.Set;

/**
 * Which blocks run as they are under LibTorch's autocast through DJL, for one autocast type on one
 * device, and which must run in fp32. Blocks are judged by their exact class (a subclass may
 * override {@code forward}), and lambdas by where their code was written ({@link DjlFunctions}),
 * never by a name.
 *
 * <p>Under bf16 a block runs as it is only if it was checked to hand no input's data type to native
 * code (bf16 reads as {@code UNKNOWN} in DJL 0.36, and DJL's JNI terminates the process on it) and
 * the test suite trains it under bf16 in a child JVM. Under fp16 there is no such risk: every block
 * runs as it is except the ones LibTorch cannot compute in fp16 on the device. LibTorch's CPU
 * autocast sends LSTM to oneDNN, which on CPUs without native 16-bit support has no fp16 or bf16
 * LSTM ("could not create a primitive descriptor"), so LSTM runs in fp32 on CPU; on CUDA autocast
 * runs it through cuDNN ({@code _cudnn_rnn}, cast to fp16).
 */
final class BlockPolicy {

    /** How a block may run. */
    enum Verdict {
        /** The block and everything under it run as they are. */
        AS_IS,
        /** The block's own forward runs as it is; its children are judged one by one. */
        OWN_FORWARD,
        /** The block (with everything under it) must run in fp32. */
        FP32
    }

    /**
     * Blocks whose forward, with everything under it, was read and trained under bf16. BertBlock
     * builds its whole subtree itself from numbers, and its attention always adds the fp32 mask it
     * makes before softmax, so softmax gets fp32 (a bare attention block does not).
     */
    private static final Set<Class<?>> BF16_VERIFIED =
            Set.of(
                    Linear.class,
                    Conv1d.class,
                    Conv2d.class,
                    Conv3d.class,
                    BatchNorm.class,
                    LayerNorm.class,
                    Dropout.class,
                    TrainableWordEmbedding.class,
                    IdEmbedding.class,
                    GRU.class,
                    RNN.class,
                    BertBlock.class);

    /** Blocks whose forward only runs their children, from the list that islands are put into. */
    private static final Set<Class<?>> CONTAINERS =
            Set.of(SequentialBlock.class, ParallelBlock.class, PointwiseFeedForwardBlock.class);

    /** The basic model zoo's Mlp, a SequentialBlock with nothing but a constructor. */
    private static final String MLP = "ai.djl.basicmodelzoo.basic.Mlp";

    private final DataType computeType;
    private final boolean gpu;

    private BlockPolicy(DataType computeType, boolean gpu) {
        this.computeType = computeType;
        this.gpu = gpu;
    }

    /**
     * Returns the policy for an autocast type on a device.
     *
     * @param computeType {@code FLOAT16} or {@code BFLOAT16}
     * @param device the device the forward runs on
     * @return the policy
     */
    static BlockPolicy of(DataType computeType, Device device) {
        if (computeType != DataType.FLOAT16 && computeType != DataType.BFLOAT16) {
            throw new IllegalArgumentException("No autocast policy for " + computeType);
        }
        return new BlockPolicy(computeType, device.isGpu());
    }

    /**
     * Returns the autocast type this policy is for.
     *
     * @return {@code FLOAT16} or {@code BFLOAT16}
     */
    DataType getComputeType() {
        return computeType;
    }

    /**
     * Judges one block.
     *
     * @param block a block (not a wrapper of this project)
     * @return how it may run
     */
    Verdict judge(Block block) {
        boolean lstmOnCpu = block instanceof LSTM && !gpu;
        if (computeType == DataType.FLOAT16) {
            return lstmOnCpu ? Verdict.FP32 : Verdict.OWN_FORWARD;
        }
        Class<?> type = block.getClass();
        if (BF16_VERIFIED.contains(type) || (type == LSTM.class && !lstmOnCpu)) {
            return Verdict.AS_IS;
        }
        if (type == LambdaBlock.class) {
            return DjlFunctions.isDjlLambda((LambdaBlock) block) ? Verdict.AS_IS : Verdict.FP32;
        }
        if (type == ParallelBlock.class) {
            return DjlFunctions.isDjlJoin((ParallelBlock) block)
                    ? Verdict.OWN_FORWARD
                    : Verdict.FP32;
        }
        return isContainer(block) ? Verdict.OWN_FORWARD : Verdict.FP32;
    }

    /**
     * Returns whether a block's forward runs its children from DJL's child list, so that a child
     * replaced there by an island runs as the island.
     *
     * @param block a block
     * @return true for DJL's sequential and parallel blocks (exact classes)
     */
    static boolean isContainer(Block block) {
        Class<?> type = block.getClass();
        return CONTAINERS.contains(type) || MLP.equals(type.getName());
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Keeps bfloat16 away from DJL calls that abort the JVM.
 *
 * <p>Under bf16 autocast LibTorch returns bf16 tensors, which DJL reads as {@code UNKNOWN}; a DJL
 * operation that hands its input's data type back to native code (softmax, log-softmax, {@code
 * toDevice}, ...) then terminates the process. Nothing can catch that, so a model runs in bf16 only
 * if every block in it is one whose forward was checked to pass no data type to native code (the
 * test suite runs each of them under bf16 in a child JVM).
 */
final class Bf16BlockGuard {

    private static final Set<Class<?>> SAFE_BLOCKS =
            Set.of(
                    SequentialBlock.class,
                    Linear.class,
                    Conv1d.class,
                    Conv2d.class,
                    Conv3d.class,
                    Dropout.class,
                    BatchNorm.class,
                    LayerNorm.class);

    /** Names of DJL's own activation and shape lambdas ({@code Activation.reluBlock()}, ...). */
    static final Set<String> SAFE_LAMBDAS =
            Set.of(
                    "ReLU",
                    "ReLU6",
                    "sigmoid",
                    "Tanh",
                    "GELU",
                    "LeakyReLU",
                    "ELU",
                    "identity",
                    "batchFlatten");

    private Bf16BlockGuard() {}

    /**
     * Lists the blocks of a model that cannot run under bf16 through DJL.
     *
     * @param root the model's block
     * @return one problem per unsafe block, empty if the model is safe
     */
    static List<String> unsafeBlocks(Block root) {
        List<String> problems = new ArrayList<>();
        visit("", root, problems);
        return problems;
    }

    private static void visit(String path, Block block, List<String> problems) {
        String name = path.isEmpty() ? block.getClass().getSimpleName() : path;
        if (block instanceof LambdaBlock) {
            String lambda = ((LambdaBlock) block).getName();
            if (!SAFE_LAMBDAS.contains(lambda)) {
                problems.add(
                        name
                                + " (LambdaBlock '"
                                + lambda
                                + "'): custom lambdas may call DJL operations that abort the JVM"
                                + " on bfloat16 (e.g. softmax)");
            }
            return;
        }
        if (!SAFE_BLOCKS.contains(block.getClass())) {
            problems.add(
                    name
                            + " ("
                            + block.getClass().getName()
                            + "): not among the blocks checked to run under bfloat16 through DJL");
            return;
        }
        block.getChildren().forEach(child -> visit(name + "/" + child.getKey(), child.getValue(), problems));
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the batch- and layer-norm layers of an fp16 model in fp32, as Apex O2 does.
 *
 * <p>DJL gives every parameter the model's data type only through its initializer, so each norm
 * parameter's initializer is wrapped to create fp32 whatever type is asked for ({@link
 * TypedInitializer}). The boundary cast is
 * LibTorch's: its batch-norm and layer-norm kernels take an fp16 input with fp32 weights and
 * running statistics, compute the statistics and the normalisation in fp32, and write fp16 for the
 * next layer (the mixed-type path cuDNN offers Apex O2 on GPUs). So no block has to be replaced,
 * which DJL could not do for a block inside a user's own block.
 */
final class NormLayers {

    private NormLayers() {}

    /**
     * Makes every norm parameter of a model be created in fp32. Call before the parameters exist.
     *
     * @param root the model's block
     */
    static void createInFloat32(Block root) {
        TypedInitializer.createIn(parameters(root), DataType.FLOAT32);
    }

    /**
     * Returns the parameters of the norm layers of a model, running statistics included.
     *
     * @param root the model's block
     * @return the parameters
     */
    static List<Parameter> parameters(Block root) {
        List<Parameter> parameters = new ArrayList<>();
        collect(root, parameters);
        return parameters;
    }

    /**
     * Returns whether a block is a norm layer kept in fp32 (GhostBatchNorm is a BatchNorm).
     *
     * @param block a block
     * @return true for batch and layer norm
     */
    static boolean isNorm(Block block) {
        return block instanceof BatchNorm || block instanceof LayerNorm;
    }

    private static void collect(Block block, List<Parameter> parameters) {
        if (isNorm(block)) {
            parameters.addAll(block.getParameters().values());
        }
        block.getChildren().values().forEach(child -> collect(child, parameters));
    }
}

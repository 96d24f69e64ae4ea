package io.github.djlprecision.pytorch;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the batch- and layer-norm layers that Apex O2 keeps in fp32. The boundary cast is
 * LibTorch's: its batch-norm and layer-norm kernels take an fp16 input with fp32 weights and
 * running statistics, compute the statistics and the normalisation in fp32, and write fp16 for the
 * next layer (the mixed-type path cuDNN offers Apex O2 on GPUs). So no block has to be replaced,
 * which DJL could not do for a block inside a user's own block.
 */
final class NormLayers {

    private NormLayers() {}

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

package io.github.djlprecision.pytorch;

import ai.djl.nn.Block;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * Why a model cannot train with fp16 or fp64 parameters on DJL 0.36, found before anything runs:
 * recurrent blocks whose initial states cannot be given in the type ({@link RecurrentStates}), and
 * blocks that make fp32 arrays of their own in the forward pass, which LibTorch refuses to mix with
 * the model's type in a matrix product.
 */
final class TrueTypeProblems {

    private TrueTypeProblems() {}

    /**
     * Lists the problems.
     *
     * @param root the model's block
     * @param precision the precision as the user named it, e.g. {@code "16-true"}
     * @param typeName the parameters' type, e.g. {@code "float16"}
     * @return one problem per block; empty if the model can train
     */
    static List<String> of(Block root, String precision, String typeName) {
        List<String> problems =
                new ArrayList<>(RecurrentStates.problems(root, precision, typeName));
        collectBert(root, "", precision, typeName, problems);
        return problems;
    }

    private static void collectBert(
            Block block, String path, String precision, String typeName, List<String> problems) {
        Block own = IslandPlan.unwrap(block);
        if (own instanceof BertBlock) {
            problems.add(
                    "BertBlock "
                            + (path.isEmpty() ? "(the model's block)" : path)
                            + " cannot train in "
                            + precision
                            + ": it makes its attention mask in fp32 (toType(FLOAT32) in"
                            + " BertBlock.forwardInternal), and LibTorch refuses to multiply the"
                            + " fp32 attention probabilities with "
                            + typeName
                            + " values. Use 16-mixed or bf16-mixed (BertBlock runs in 16 bits"
                            + " there) or 32-true.");
            return;
        }
        for (Pair<String, Block> child : own.getChildren()) {
            String childPath = path.isEmpty() ? child.getKey() : path + "/" + child.getKey();
            collectBert(child.getValue(), childPath, precision, typeName, problems);
        }
    }
}

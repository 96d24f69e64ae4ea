package io.github.djlprecision.pytorch;

import ai.djl.nn.Block;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Where a model needs fp32 islands under one autocast policy: the largest subtrees the policy does
 * not let run as they are, each at a place where an island can be put (a child of a DJL sequential
 * or parallel block), or the whole model when there is no such place above an unsafe block.
 *
 * @param wholeModel whether the whole forward pass must run in fp32
 * @param slots the children to run as islands; empty for the whole model
 * @param rootName the root block's class, for messages
 */
record IslandPlan(boolean wholeModel, List<Slot> slots, String rootName) {

    /**
     * A child of a container that runs as an island.
     *
     * @param container the sequential or parallel block whose child list holds the child
     * @param child the child as the list holds it (possibly an island already)
     * @param path the child's keys from the root, e.g. {@code 02SequentialBlock/01LambdaBlock}
     */
    record Slot(Block container, Block child, String path) {}

    /**
     * Plans the islands of a model.
     *
     * @param root the model's block
     * @param policy the autocast policy
     * @return the plan
     */
    static IslandPlan of(Block root, BlockPolicy policy) {
        List<Slot> slots = inside(root, "", policy);
        String rootName = unwrap(root).getClass().getSimpleName();
        return slots == null
                ? new IslandPlan(true, List.of(), rootName)
                : new IslandPlan(false, List.copyOf(slots), rootName);
    }

    /**
     * Returns whether the model runs entirely as the policy's type allows.
     *
     * @return true without islands
     */
    boolean isEmpty() {
        return !wholeModel && slots.isEmpty();
    }

    /**
     * Says which blocks run in fp32.
     *
     * @return e.g. {@code "01LambdaBlock, 03MyBlock"} or {@code "the whole model (MyBlock)"}
     */
    String describe() {
        if (wholeModel) {
            return "the whole model (" + rootName + ")";
        }
        return slots.stream().map(Slot::path).collect(Collectors.joining(", "));
    }

    /** The islands inside a block, or null when the block itself must be one. */
    private static List<Slot> inside(Block block, String path, BlockPolicy policy) {
        Block own = unwrap(block);
        BlockPolicy.Verdict verdict = policy.judge(own);
        if (verdict == BlockPolicy.Verdict.FP32) {
            return null;
        }
        List<Slot> slots = new ArrayList<>();
        if (verdict == BlockPolicy.Verdict.AS_IS) {
            return slots;
        }
        boolean container = BlockPolicy.isContainer(own);
        for (Pair<String, Block> child : own.getChildren()) {
            String childPath = path.isEmpty() ? child.getKey() : path + "/" + child.getKey();
            List<Slot> inner = inside(child.getValue(), childPath, policy);
            if (inner != null) {
                slots.addAll(inner);
            } else if (container) {
                slots.add(new Slot(own, child.getValue(), childPath));
            } else {
                return null;
            }
        }
        return slots;
    }

    /** The block a wrapper of this project stands for. */
    static Block unwrap(Block block) {
        Block own = block;
        while (own instanceof DelegatingBlock) {
            own = ((DelegatingBlock) own).getBlock();
        }
        return own;
    }
}

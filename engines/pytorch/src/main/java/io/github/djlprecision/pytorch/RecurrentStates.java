package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * The recurrent blocks of one true-precision plugin's model (fp16 or fp64 weights), given their
 * initial states in the model's type ({@link InitialStates}): those in a DJL sequential or parallel
 * block get a wrapper, put in place when the model is converted or before the first forward pass,
 * and taken out on close; the model's own block gets them in {@link #convertInput}. One inside any
 * other block cannot be reached, so {@link #problems} refuses such a model up front.
 */
final class RecurrentStates implements AutoCloseable {

    private Block root;
    private WrappedChildren placed;

    /**
     * Makes the helper for a model, without placing anything yet.
     *
     * @param root the model's block, or null when the plugin was made without a model
     */
    RecurrentStates(Block root) {
        this.root = root;
    }

    /**
     * Lists why a model cannot train with recurrent blocks in a true precision, before anything
     * runs.
     *
     * @param root the model's block
     * @param precision the precision, as the user named it, e.g. {@code "16-true"}
     * @param typeName the weights' type, e.g. {@code "float16"}
     * @return one problem per recurrent block that cannot be given its states; empty if none
     */
    static List<String> problems(Block root, String precision, String typeName) {
        List<String> problems = new ArrayList<>();
        List<IslandPlan.Slot> slots = new ArrayList<>();
        List<IslandPlan.Slot> unreachable = new ArrayList<>();
        visit(root, "", slots, unreachable);
        boolean any =
                InitialStates.isRecurrent(IslandPlan.unwrap(root))
                        || !slots.isEmpty()
                        || !unreachable.isEmpty();
        if (any && (!InitialStates.isAvailable() || !WrappedChildren.isAvailable())) {
            problems.add(
                    precision
                            + " cannot give DJL's recurrent blocks initial states in "
                            + typeName
                            + " on this JVM: RecurrentBlock's or AbstractBlock's fields are not"
                            + " accessible. Use 16-mixed or 32-true.");
        }
        for (IslandPlan.Slot slot : unreachable) {
            problems.add(
                    "Recurrent block "
                            + slot.path()
                            + " (inside "
                            + slot.container().getClass().getSimpleName()
                            + ") cannot train in "
                            + precision
                            + ": DJL makes missing initial states in fp32 (manager.zeros), and"
                            + " LibTorch refuses them beside "
                            + typeName
                            + " weights ('mat1 and mat2 must have the same dtype'). djl-precision"
                            + " supplies them in "
                            + typeName
                            + " only for a recurrent block that is the model's block or a child"
                            + " of a SequentialBlock or ParallelBlock; this one is inside another"
                            + " block. Move it there, or use 16-mixed or 32-true.");
        }
        return problems;
    }

    /**
     * Puts the wrappers in place for a model, once.
     *
     * @param modelBlock the model's block
     */
    synchronized void place(Block modelBlock) {
        if (placed != null && modelBlock == root) {
            return;
        }
        close();
        root = modelBlock;
        List<IslandPlan.Slot> slots = new ArrayList<>();
        visit(modelBlock, "", slots, new ArrayList<>());
        WrappedChildren wrapped = new WrappedChildren();
        for (IslandPlan.Slot slot : slots) {
            wrapped.wrap(slot.container(), slot.child(), InitialStates.class, InitialStates::new);
        }
        placed = wrapped;
    }

    /**
     * Places the wrappers if nobody has yet, and gives a recurrent model block its states; other
     * models' inputs pass unchanged.
     *
     * @param input the inputs, converted to the model's type
     * @return the inputs the model's block gets
     */
    NDList convertInput(NDList input) {
        Block modelBlock;
        synchronized (this) {
            modelBlock = root;
        }
        if (modelBlock == null) {
            return input;
        }
        place(modelBlock);
        Block own = IslandPlan.unwrap(modelBlock);
        return InitialStates.isRecurrent(own) ? InitialStates.withStates(own, input) : input;
    }

    @Override
    public synchronized void close() {
        if (placed != null) {
            placed.close();
            placed = null;
        }
    }

    /** Collects the recurrent children of containers, and those of other blocks. */
    private static void visit(
            Block block,
            String path,
            List<IslandPlan.Slot> slots,
            List<IslandPlan.Slot> unreachable) {
        Block own = IslandPlan.unwrap(block);
        boolean container = BlockPolicy.isContainer(own);
        for (Pair<String, Block> child : own.getChildren()) {
            String childPath = path.isEmpty() ? child.getKey() : path + "/" + child.getKey();
            if (InitialStates.isRecurrent(IslandPlan.unwrap(child.getValue()))) {
                IslandPlan.Slot slot = new IslandPlan.Slot(own, child.getValue(), childPath);
                (container ? slots : unreachable).add(slot);
            } else {
                visit(child.getValue(), childPath, slots, unreachable);
            }
        }
    }
}

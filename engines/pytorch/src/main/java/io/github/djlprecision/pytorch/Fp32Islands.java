package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import io.github.djlprecision.spi.ForwardContext;
import java.util.List;
import java.util.function.Supplier;

/**
 * One mixed-precision plugin's fp32 islands on its model: planned from the model's blocks under the
 * plugin's autocast policy, put in place before the first forward pass the plugin scopes (or when
 * the trainer converts the model), and taken out when the plugin closes. When an unsafe block has
 * no container above it to be wrapped in, or children cannot be replaced on this JVM, the whole
 * forward pass runs in fp32 (autocast off), which is safe and is what {@link #describe()} reports.
 */
final class Fp32Islands implements AutoCloseable {

    private final NativeAutocast autocast;
    private final BlockPolicy policy;
    private Block root;
    private IslandPlan plan;
    private WrappedChildren placed;

    /**
     * Plans the islands of a model, without placing them yet.
     *
     * @param autocast LibTorch's autocast
     * @param policy the plugin's autocast policy
     * @param root the model's block, or null when the plugin was made without a model
     */
    Fp32Islands(NativeAutocast autocast, BlockPolicy policy, Block root) {
        this.autocast = autocast;
        this.policy = policy;
        if (root != null) {
            this.root = root;
            plan = plan(root);
        }
    }

    /**
     * Puts the islands in place for a model, once; later calls for the same model do nothing.
     *
     * @param modelBlock the model's block
     */
    synchronized void place(Block modelBlock) {
        if (placed != null && modelBlock == root) {
            return;
        }
        close();
        root = modelBlock;
        plan = plan(modelBlock);
        WrappedChildren wrapped = new WrappedChildren();
        for (IslandPlan.Slot slot : plan.slots()) {
            wrapped.wrap(
                            slot.container(),
                            slot.child(),
                            Fp32Island.class,
                            child -> new Fp32Island(child, autocast))
                    .addType(policy.getComputeType());
        }
        placed = wrapped;
    }

    /**
     * Opens the scope of a forward pass of the whole model: the plugin's autocast, or autocast off
     * when the whole model runs in fp32. Places the islands first if nobody has yet.
     *
     * @param device the device the forward runs on
     * @param enter opens the plugin's autocast scope
     * @return the scope
     * @throws IllegalStateException for bf16 when the plugin never saw the model, since bf16 cannot
     *     be let through unchecked blocks
     */
    ForwardContext enter(Device device, Supplier<ForwardContext> enter) {
        Block modelBlock;
        synchronized (this) {
            modelBlock = root;
        }
        if (modelBlock == null) {
            if (policy.getComputeType() == DataType.BFLOAT16) {
                throw new IllegalStateException(
                        "bf16-mixed needs the model before its first forward pass, to run blocks"
                                + " that cannot take bfloat16 through DJL in fp32: create the"
                                + " plugin with the model (PluginRequest.model) or call"
                                + " convertModule(model) first.");
            }
            return enter.get();
        }
        place(modelBlock);
        return wholeModel() ? autocast.disable(device) : enter.get();
    }

    /**
     * Says which blocks run in fp32.
     *
     * @return e.g. {@code "01LambdaBlock, 03MyBlock"}, or null when there are none (or the model is
     *     not known yet)
     */
    synchronized String describe() {
        return plan == null || plan.isEmpty() ? null : plan.describe();
    }

    /** Takes this plugin's islands out; the last plugin holding one restores the original. */
    @Override
    public synchronized void close() {
        if (placed != null) {
            placed.close();
            placed = null;
        }
    }

    private synchronized boolean wholeModel() {
        return plan.wholeModel();
    }

    private IslandPlan plan(Block modelBlock) {
        IslandPlan planned = IslandPlan.of(modelBlock, policy);
        if (!planned.slots().isEmpty() && !WrappedChildren.isAvailable()) {
            return new IslandPlan(true, List.of(), planned.rootName());
        }
        return planned;
    }
}

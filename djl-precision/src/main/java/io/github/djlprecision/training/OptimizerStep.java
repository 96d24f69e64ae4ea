package io.github.djlprecision.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.DeviceTopology;
import io.github.djlprecision.spi.FusedOptimizer;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.UnscaledGradients;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The optimizer step, the one sequence every precision runs; the plugin supplies the pieces:
 *
 * <ol>
 *   <li>the gradients of every device are summed into the first device's (DJL's {@code
 *       LocalParameterServer} sums them the same way, inside its update);
 *   <li>the plugin unscales and checks them ({@link PrecisionPlugin#unscaleGradients}); a plugin
 *       that checks nothing (no loss scaling) has them checked here, with an inverse scale of 1;
 *   <li>without a fused optimizer, the non-finite flag is read: a flagged step is skipped;
 *   <li>gradients are clipped if the user asked for it, on the summed, unscaled gradients;
 *   <li>the update: the plugin's fused optimizer, which skips on the device when the flag is set,
 *       or the user's optimizer through DJL's {@code ParameterStore.updateAllParameters()};
 *   <li>gradients the update did not clear are cleared, without arithmetic (inf stays no NaN);
 *   <li>the updated values are copied to every other device and into the arrays the forward
 *       computes with (Apex O2's fp16 working copies);
 *   <li>the plugin updates its state ({@link PrecisionPlugin#updateAfterStep}: the loss scale).
 * </ol>
 */
final class OptimizerStep {

    /**
     * What a step left for the trainer to record.
     *
     * @param foundInf the non-finite flag on the device, or null when nothing was checked
     * @param nonFinite what the step read of the flag, or null when it did not read it
     * @param lossScale the loss scale the next step uses, or null without loss scaling
     * @param scope the step's scope, holding the flag until closed
     */
    record Result(NDArray foundInf, Boolean nonFinite, NDArray lossScale, NDManager scope)
            implements AutoCloseable {

        @Override
        public void close() {
            scope.close();
        }
    }

    private final PrecisionPlugin plugin;
    private final PrecisionParameterStore store;
    private final PrecisionParameterServer server;
    private final FusedOptimizer fused;
    private final Optional<GradientClipping> clipping;
    private final AmpKernels kernels;
    private boolean gradientsChecked;
    private final DeviceTopology topology;

    OptimizerStep(
            PrecisionPlugin plugin,
            PrecisionParameterStore store,
            PrecisionParameterServer server,
            FusedOptimizer fused,
            PrecisionConfig config,
            DeviceTopology topology) {
        this.topology = topology;
        this.plugin = plugin;
        this.store = store;
        this.server = server;
        this.fused = fused;
        this.clipping = config.getGradientClipping();
        this.kernels = plugin.getKernels();
    }

    /**
     * Runs one step.
     *
     * @param trainable the parameters that require a gradient
     * @param stepIndex the step's index
     * @return what to record; the caller closes it
     */
    Result run(List<Parameter> trainable, long stepIndex) {
        List<PrecisionParameterStore.Entry> entries = store.entries(trainable);
        NDManager scope = store.getManager().newSubManager();
        try {
            NDArray[][] gradients = gradients(entries, scope);
            if (topology != null) {
                topology.reduceGradients(Arrays.asList(gradients), scope);
            }
            List<NDArray> summed = new ArrayList<>(entries.size());
            List<Parameter> parameters = new ArrayList<>(entries.size());
            for (int i = 0; i < entries.size(); i++) {
                summed.add(gradients[i][0]);
                parameters.add(entries.get(i).parameter());
            }
            if (!gradientsChecked) {
                checkNotAllZero(summed);
            }
            UnscaledGradients unscaled =
                    checked(
                            plugin.unscaleGradients(
                                    new Context(parameters, summed, scope, stepIndex)),
                            scope);
            NDArray foundInf = unscaled.foundInf();
            if (topology != null && foundInf != null) {
                topology.agreeOnFoundInf(foundInf);
            }
            Boolean nonFinite =
                    fused == null && foundInf != null ? foundInf.getFloat() != 0f : null;
            boolean skipped = Boolean.TRUE.equals(nonFinite);
            if (!skipped) {
                clipping.ifPresent(c -> plugin.clipGradients(unscaled.gradients(), c));
                update(entries, unscaled.gradients(), foundInf);
            }
            kernels.zero(uncleared(entries, gradients, skipped));
            if (!skipped) {
                copyValues(entries);
            }
            plugin.updateAfterStep(foundInf);
            return new Result(foundInf, nonFinite, plugin.getLossScale().orElse(null), scope);
        } catch (RuntimeException e) {
            scope.close();
            throw e;
        }
    }

    /**
     * The plugin's gradients, checked for inf and NaN: a recipe without loss scaling (16-true, Apex
     * O3, bf16-mixed, the fp32 and fp64 modes) checks nothing itself, and torch and Lightning
     * would apply such a step; here it goes through the loss scaler's kernel with an inverse scale
     * of 1 (one launch, no read), and the step is skipped like a loss-scaled one.
     */
    private UnscaledGradients checked(UnscaledGradients unscaled, NDManager scope) {
        if (unscaled.isChecked()) {
            return unscaled;
        }
        NDArray foundInf = scope.zeros(new Shape(1), DataType.FLOAT32);
        kernels.unscaleAndCheck(unscaled.gradients(), foundInf, foundInf.onesLike());
        return new UnscaledGradients(unscaled.gradients(), foundInf);
    }

    /** The gradient of every entry on every device; the first device's hold the sum. */
    private NDArray[][] gradients(
            List<PrecisionParameterStore.Entry> entries, NDManager scope) {
        NDArray[][] gradients = new NDArray[entries.size()][];
        for (int i = 0; i < entries.size(); i++) {
            PrecisionParameterStore.Entry entry = entries.get(i);
            gradients[i] = new NDArray[entry.devices()];
            for (int d = 0; d < entry.devices(); d++) {
                NDArray gradient = ofParameterType(entry.computed(d), scope);
                gradients[i][d] = gradient;
                if (d > 0) {
                    NDArray moved = gradient.toDevice(gradients[i][0].getDevice(), false);
                    moved.attach(scope);
                    gradients[i][0].addi(moved);
                }
            }
        }
        return gradients;
    }

    /**
     * The gradient of an array, in the array's type. For a parameter no loss depended on this step
     * (an unused branch or head), DJL hands out float32 zeros whatever the parameter's type; those
     * become zeros of the parameter's type, so that every parameter updates as under DJL's own
     * trainer (with a zero gradient) and no kernel meets mixed types.
     */
    private NDArray ofParameterType(NDArray computed, NDManager scope) {
        NDArray gradient = computed.getGradient();
        gradient.attach(scope);
        if (gradient.getDataType() == computed.getDataType()) {
            return gradient;
        }
        // cloned, not converted: no DJL call hands native code a type it cannot map (bfloat16)
        NDArray zeros = computed.duplicate();
        zeros.attach(scope);
        kernels.zero(List.of(zeros));
        return zeros;
    }

    /** DJL's own first-step check, read in fp32 so that it also works for fp64 gradients. */
    private void checkNotAllZero(List<NDArray> gradients) {
        if (gradients.isEmpty()) {
            return;
        }
        NDList sums = new NDList(gradients.size());
        for (NDArray gradient : gradients) {
            sums.add(gradient.sum().toType(DataType.FLOAT32, false));
        }
        try (NDArray total = NDArrays.stack(sums).sum()) {
            if (total.getFloat() == 0f) {
                // a tiny loss scale underflows the scaled loss's gradients to 0: say so
                String scale =
                        plugin.getLossScale()
                                .map(
                                        s ->
                                                " The loss scale is "
                                                        + s.getFloat()
                                                        + ": a scaled loss that small can"
                                                        + " underflow every gradient to 0; raise"
                                                        + " GradScalerConfig's initial scale and"
                                                        + " floor (optInitScale, optMinScale).")
                                .orElse("");
                throw new IllegalStateException(
                        "Gradient values are all zeros, please call gradientCollector.backward() on"
                                + " your target NDArray (usually loss), before calling step()."
                                + scale);
            }
        } finally {
            sums.close();
        }
        gradientsChecked = true;
    }

    private void update(
            List<PrecisionParameterStore.Entry> entries,
            List<NDArray> gradients,
            NDArray foundInf) {
        if (fused != null) {
            List<String> ids = new ArrayList<>(entries.size());
            List<NDArray> values = new ArrayList<>(entries.size());
            for (PrecisionParameterStore.Entry entry : entries) {
                ids.add(entry.parameter().getId());
                values.add(entry.value(0));
            }
            fused.step(ids, values, gradients, foundInf);
            return;
        }
        Map<String, NDArray> byId = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            byId.put(entries.get(i).parameter().getId(), gradients.get(i));
        }
        server.prepare(byId);
        try {
            store.updateAllParameters();
        } finally {
            server.prepare(Map.of());
        }
    }

    /**
     * The gradients left to clear: DJL's optimizers clear the gradient of the value they update,
     * nothing else.
     */
    private boolean clearedByOptimizer(PrecisionParameterStore.Entry entry, boolean skipped) {
        return !skipped && fused == null && entry.computed(0) == entry.value(0);
    }

    private List<NDArray> uncleared(
            List<PrecisionParameterStore.Entry> entries, NDArray[][] gradients, boolean skipped) {
        List<NDArray> left = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            for (int d = 0; d < gradients[i].length; d++) {
                if (d > 0 || !clearedByOptimizer(entries.get(i), skipped)) {
                    left.add(gradients[i][d]);
                }
            }
        }
        return left;
    }

    /** First device to the others, then each value into the array the forward computes with. */
    private void copyValues(List<PrecisionParameterStore.Entry> entries) {
        List<NDArray> sources = new ArrayList<>();
        List<NDArray> targets = new ArrayList<>();
        for (PrecisionParameterStore.Entry entry : entries) {
            for (int d = 1; d < entry.devices(); d++) {
                sources.add(entry.value(0));
                targets.add(entry.value(d));
            }
        }
        kernels.copy(sources, targets);
        sources.clear();
        targets.clear();
        for (PrecisionParameterStore.Entry entry : entries) {
            for (int d = 0; d < entry.devices(); d++) {
                if (entry.computed(d) != entry.value(d)) {
                    sources.add(entry.value(d));
                    targets.add(entry.computed(d));
                }
            }
        }
        kernels.copy(sources, targets);
    }

    private record Context(
            List<Parameter> parameters, List<NDArray> gradients, NDManager scope, long stepIndex)
            implements StepContext {}
}

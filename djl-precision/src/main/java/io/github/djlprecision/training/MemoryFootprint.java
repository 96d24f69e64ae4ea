package io.github.djlprecision.training;

import ai.djl.metric.Dimension;
import ai.djl.metric.Metrics;
import ai.djl.metric.Unit;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.DjlOptimizerFields;
import io.github.djlprecision.spi.PrecisionPlugin;
import java.util.HashSet;
import java.util.Set;

/**
 * The memory a model takes to train in a precision, in bytes: its parameters, the 16-bit working
 * copies a recipe computes with (Apex O2: fp16 copies of fp32 parameters), the optimizer's state,
 * and the activations of one forward pass. Measured
 * from the arrays that exist, not from a formula, so it shows what the plugin really does:
 *
 * <pre>{@code
 * MemoryFootprint memory = MemoryFootprint.measure(trainer, optimizer, sampleBatch);
 * System.out.println(memory);
 * }</pre>
 *
 * <p>What each number covers:
 *
 * <ul>
 *   <li>parameters: every parameter array of the model in its data type, running statistics
 *       included (for Apex O2 these are the fp32 master weights);
 *   <li>working copies: the arrays the forward computes with where they are not the parameters
 *       themselves ({@link PrecisionPlugin#convertParameter}), on the first device;
 *   <li>optimizer state: the optimizer's per-parameter slots (Adam: 2) times the bytes of the
 *       trainable parameters it updates. DJL optimizers keep their state private, so the slots
 *       come from the optimizer's class; -1 where they are not known;
 *   <li>activations: the arrays DJL sees created by one forward pass of the sample batch in the
 *       trainer's precision (inference mode, so running statistics are left alone), outputs
 *       included. Native temporaries DJL never sees, such as autocast's cast copies of weights, are
 *       not counted.
 * </ul>
 */
public final class MemoryFootprint {

    /** Metric names {@link #addTo(Metrics)} records, followed by the part, e.g. {@code _params}. */
    public static final String METRIC_PREFIX = "precision_memory";

    private final String precision;
    private final String path;
    private final long parameterBytes;
    private final long workingCopyBytes;
    private final long optimizerStateBytes;
    private final long activationBytes;

    private MemoryFootprint(
            String precision,
            String path,
            long parameterBytes,
            long workingCopyBytes,
            long optimizerStateBytes,
            long activationBytes) {
        this.precision = precision;
        this.path = path;
        this.parameterBytes = parameterBytes;
        this.workingCopyBytes = workingCopyBytes;
        this.optimizerStateBytes = optimizerStateBytes;
        this.activationBytes = activationBytes;
    }

    /**
     * Measures a trainer's model, taking the optimizer's state slots from its class ({@link
     * DjlOptimizerFields#stateSlots}).
     *
     * @param trainer an initialized trainer
     * @param optimizer the optimizer the user configured
     * @param batch a sample input batch, used for one forward pass; left as it is
     * @return the footprint
     */
    public static MemoryFootprint measure(
            PrecisionTrainer trainer, Optimizer optimizer, NDList batch) {
        return measure(trainer, DjlOptimizerFields.stateSlots(optimizer), batch);
    }

    /**
     * Measures a trainer's model for an optimizer that keeps a given number of state arrays per
     * parameter (e.g. 1 for SGD with momentum, 0 without).
     *
     * @param trainer an initialized trainer
     * @param optimizerStateSlots state arrays per parameter, or -1 if unknown
     * @param batch a sample input batch, used for one forward pass; left as it is
     * @return the footprint
     */
    public static MemoryFootprint measure(
            PrecisionTrainer trainer, int optimizerStateSlots, NDList batch) {
        PrecisionPlugin plugin = trainer.getPlugin();
        long parameters = 0;
        long copies = 0;
        long updated = 0;
        for (Parameter parameter : trainer.getModel().getBlock().getParameters().values()) {
            long bytes = bytes(parameter.getArray());
            parameters += bytes;
            NDArray computed = trainer.getWorkingParameter(parameter);
            if (computed != parameter.getArray()) {
                copies += bytes(computed);
            }
            if (parameter.requiresGradient()) {
                updated += bytes;
            }
        }
        long state = optimizerStateSlots < 0 ? -1 : optimizerStateSlots * updated;
        return new MemoryFootprint(
                plugin.getPrecision().value(),
                plugin.getPath(),
                parameters,
                copies,
                state,
                activationBytes(trainer, batch, plugin.getPrecision()));
    }

    private static long activationBytes(PrecisionTrainer trainer, NDList batch, Precision precision) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            // DJL's operations put their results in their first operand's manager: a copy of the
            // batch in a fresh scope gathers everything the forward creates
            NDList input = new NDList(batch.size());
            Set<NDArray> own = new HashSet<>();
            for (NDArray array : batch) {
                NDArray copy = array.duplicate();
                copy.attach(scope);
                input.add(copy);
                own.add(copy);
            }
            trainer.evaluate(input);
            long bytes = 0;
            for (NDArray array : scope.getManagedArrays()) {
                if (!own.contains(array) && !array.isReleased()) {
                    bytes += activationBytes(array, precision);
                }
            }
            return bytes;
        }
    }

    /**
     * DJL reads LibTorch's bfloat16 as {@code UNKNOWN}, whose width DJL gives as 0: under a bf16
     * precision such an array is counted at 2 bytes an element.
     */
    private static long activationBytes(NDArray array, Precision precision) {
        if (array.getDataType() == DataType.UNKNOWN && precision.isBfloat16()) {
            return array.size() * 2;
        }
        return bytes(array);
    }

    private static long bytes(NDArray array) {
        return array.size() * array.getDataType().getNumOfBytes();
    }

    /**
     * Returns the precision measured, e.g. {@code 16-mixed}.
     *
     * @return the precision value
     */
    public String getPrecision() {
        return precision;
    }

    /**
     * Returns the plugin path measured, e.g. {@code apex-O2(...)}.
     *
     * @return the path
     */
    public String getPath() {
        return path;
    }

    /**
     * Returns the bytes of the model's parameters, in the types they are held in.
     *
     * @return the bytes
     */
    public long getParameterBytes() {
        return parameterBytes;
    }

    /**
     * Returns the bytes of the working copies the forward computes with where they are not the
     * parameters themselves (Apex O2's fp16 copies; 0 for every other recipe).
     *
     * @return the bytes
     */
    public long getWorkingCopyBytes() {
        return workingCopyBytes;
    }

    /**
     * Returns the bytes of the optimizer's state.
     *
     * @return the bytes, or -1 if the optimizer's state slots are unknown
     */
    public long getOptimizerStateBytes() {
        return optimizerStateBytes;
    }

    /**
     * Returns the bytes of the arrays one forward pass of the sample batch creates.
     *
     * @return the bytes
     */
    public long getActivationBytes() {
        return activationBytes;
    }

    /**
     * Returns the sum of the parts, counting unknown optimizer state as 0.
     *
     * @return the bytes
     */
    public long getTotalBytes() {
        return parameterBytes
                + workingCopyBytes
                + Math.max(optimizerStateBytes, 0)
                + activationBytes;
    }

    /**
     * Records the parts as metrics ({@code precision_memory_params}, {@code _working_copies}, {@code
     * _optimizer}, {@code _activations}, {@code _total}), in bytes, with the precision and path as
     * dimensions.
     *
     * @param metrics where to record, e.g. {@code trainer.getMetrics()}
     */
    public void addTo(Metrics metrics) {
        Dimension[] dimensions = {
            new Dimension("precision", precision), new Dimension("path", path)
        };
        metrics.addMetric(METRIC_PREFIX + "_params", parameterBytes, Unit.BYTES, dimensions);
        metrics.addMetric(
                METRIC_PREFIX + "_working_copies", workingCopyBytes, Unit.BYTES, dimensions);
        metrics.addMetric(
                METRIC_PREFIX + "_optimizer", optimizerStateBytes, Unit.BYTES, dimensions);
        metrics.addMetric(METRIC_PREFIX + "_activations", activationBytes, Unit.BYTES, dimensions);
        metrics.addMetric(METRIC_PREFIX + "_total", getTotalBytes(), Unit.BYTES, dimensions);
    }

    @Override
    public String toString() {
        return precision
                + " via "
                + path
                + ": parameters "
                + parameterBytes
                + " B, master weights "
                + workingCopyBytes
                + " B, optimizer state "
                + (optimizerStateBytes < 0 ? "unknown" : optimizerStateBytes + " B")
                + ", activations "
                + activationBytes
                + " B, total "
                + getTotalBytes()
                + " B";
    }
}

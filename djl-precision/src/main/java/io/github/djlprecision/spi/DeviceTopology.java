package io.github.djlprecision.spi;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where the replicas of a training run live and how they agree: Lightning's {@code Strategy}, DJL's
 * {@code ParameterServer} seam. The trainer and its optimizer step call it at fixed points and know
 * nothing else of devices or processes; the precision pieces (autocast, loss scaling, clipping,
 * fused optimizers) run on one process's devices as they are, because everything that crosses a
 * device or process boundary goes through here:
 *
 * <ol>
 *   <li>each replica's loss is scaled by its share before backward ({@link #backward}), so that
 *       summed gradients are the average over replicas, as PyTorch's {@code
 *       DistributedDataParallel} makes them;
 *   <li>the backward passes run where the topology puts them, and the step waits for them ({@link
 *       #awaitBackward});
 *   <li>gradients are reduced into the first local device's ({@link #reduceGradients});
 *   <li>after the plugin's unscale-and-check, every replica takes the same non-finite flag ({@link
 *       #agreeOnFoundInf}), so every replica skips the same steps and its loss scaler, step
 *       recorder, loss-scale monitor and circuit breaker see the same outcomes (torch's {@code
 *       ShardedGradScaler} all-reduces {@code found_inf} for the same reason);
 *   <li>updated values go from the first local device to every other replica ({@link
 *       #broadcastValues});
 *   <li>one process writes checkpoints ({@link #writesCheckpoints}).
 * </ol>
 *
 * <p>{@code LocalDevices} (package {@code training}) is today's behaviour: every replica is a device
 * of this process. A process-group topology (one process per GPU, or several hosts) is one more
 * implementation, passed to {@code PrecisionTrainer.newTrainer(model, config, precision,
 * topology)}.
 */
public interface DeviceTopology extends AutoCloseable {

    /**
     * Called once by the trainer's constructor, before any other method.
     *
     * @param manager the trainer's manager, on the first local device; the topology makes its own
     *     arrays in sub-managers of it
     * @param devices this process's training devices, the first holding the parameters
     */
    void start(NDManager manager, List<Device> devices);

    /**
     * Makes every replica start from the same values, once the parameters exist (the trainer's
     * {@code initialize}, or a loaded model), before any forward pass: a process group copies rank
     * 0's values to every rank, as PyTorch's {@code DistributedDataParallel} does when it wraps a
     * module. Nothing to do in one process.
     *
     * @param values every parameter's value on the first local device
     */
    default void broadcastParameters(List<NDArray> values) {}

    /**
     * Runs the backward pass of one replica's loss: scales the loss by the replica's share of the
     * run and hands the result to {@code pass}, on this thread or another.
     *
     * @param loss the loss of one local device's forward, already prepared by the plugin ({@code
     *     preBackward}); it stays the caller's, who may close it once this method returns
     * @param pass DJL's collector's backward on a loss; any array the topology makes for it is
     *     closed after it ran
     */
    void backward(NDArray loss, Consumer<NDArray> pass);

    /**
     * Waits for every backward pass started so far; the first failure is thrown as it was, after
     * all of them ended.
     */
    void awaitBackward();

    /**
     * Reduces the gradients of every replica into the first local device's, which then hold the
     * sum over all replicas; the others are left to be cleared by the step.
     *
     * @param gradients per parameter, its gradient on each local device, first device first
     * @param scope the step's manager, for any array the reduction makes
     */
    void reduceGradients(List<NDArray[]> gradients, NDManager scope);

    /**
     * Makes every replica hold the same non-finite flag: 1 if any replica's gradients had an inf or
     * a NaN. Called on the flag of the plugin's unscale-and-check, before anything reads it or the
     * fused optimizer uses it.
     *
     * @param foundInf this replica's one-element fp32 flag, replaced in place
     */
    void agreeOnFoundInf(NDArray foundInf);

    /**
     * Copies each updated value from the first local device to its copies on every other replica.
     *
     * @param values per parameter, its value on each local device, first device first
     * @param kernels the plugin's device kernels, for the copies
     */
    void broadcastValues(List<NDArray[]> values, AmpKernels kernels);

    /**
     * Returns whether this process writes checkpoints; with several processes exactly one does.
     *
     * @return true in a single process
     */
    boolean writesCheckpoints();

    /** Waits for the passes still running, then releases what the topology holds. */
    @Override
    void close();
}

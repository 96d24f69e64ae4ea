package io.github.djlprecision.distributed;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.DeviceTopology;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One process per device, on one host or several: PyTorch's {@code DistributedDataParallel} over
 * a {@link ProcessGroup}. Every rank holds a whole replica; at the start the parameters of rank 0
 * are broadcast to every rank; each rank's loss is scaled by {@code 1 / worldSize} before backward
 * and the gradients are summed over the ranks by Gloo's all-reduce, in buckets of {@link
 * ProcessGroup#BUCKET_BYTES}, so every rank steps with the average; the non-finite flag of the
 * precision's unscale-and-check is all-reduced with MAX, so every rank skips the same steps and
 * its loss scaler, step recorder and loss-scale monitor see the same outcomes (torch's {@code
 * ShardedGradScaler} all-reduces {@code found_inf} the same way). As the ranks apply the same
 * update to the same values, the replicas stay identical with nothing broadcast per step. Rank 0
 * writes checkpoints.
 */
public final class ProcessGroupTopology implements DeviceTopology {

    private final ProcessGroup group;
    private final boolean ownsGroup;
    private final DataType communicationType;
    private NDArray share;

    /**
     * Starts a process group from the environment {@code torchrun} sets and trains over it; the
     * topology closes the group when the trainer closes.
     *
     * @return the topology
     * @throws IllegalArgumentException when a launch variable is missing or not valid
     * @throws ProcessGroupException when the peers do not all meet within the default timeout
     */
    public static ProcessGroupTopology fromEnvironment() {
        return new ProcessGroupTopology(ProcessGroup.fromEnvironment(), true, DataType.FLOAT32);
    }

    /**
     * Trains over a process group the caller started and closes; gradients travel in their own
     * type.
     *
     * @param group the process group
     */
    public ProcessGroupTopology(ProcessGroup group) {
        this(group, false, DataType.FLOAT32);
    }

    /**
     * Trains over a process group the caller started and closes, choosing the type fp32 gradients
     * travel in: {@code FLOAT16} halves the bytes sent, as PyTorch DDP's {@code
     * fp16_compress_hook} (each gradient is cast to fp16, summed in fp16 by Gloo, cast back). A sum
     * past fp16's range (65504) becomes inf, so the step is skipped and, with loss scaling, the
     * scale backs off; without loss scaling ({@code 32-true}, {@code bf16-mixed}) such gradients
     * are not finite at all, so use it where gradients are known to stay small.
     *
     * @param group the process group
     * @param communicationType {@code FLOAT32} (gradients in their own type) or {@code FLOAT16}
     * @throws IllegalArgumentException for another type, naming the accepted ones
     */
    public ProcessGroupTopology(ProcessGroup group, DataType communicationType) {
        this(group, false, communicationType);
    }

    private ProcessGroupTopology(
            ProcessGroup group, boolean ownsGroup, DataType communicationType) {
        if (group == null) {
            throw new IllegalArgumentException("group must not be null");
        }
        if (communicationType != DataType.FLOAT32 && communicationType != DataType.FLOAT16) {
            throw new IllegalArgumentException(
                    "gradients travel as float32 (their own type) or float16, not "
                            + communicationType);
        }
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.communicationType = communicationType;
    }

    /**
     * Returns the process group.
     *
     * @return the group
     */
    public ProcessGroup getGroup() {
        return group;
    }

    /**
     * Refuses several devices in one process: each process trains on one device, which {@code
     * LOCAL_RANK} usually picks.
     */
    @Override
    public void start(NDManager manager, List<Device> devices) {
        if (devices.size() != 1) {
            throw new IllegalArgumentException(
                    "a process group trains on one device per process, got "
                            + devices
                            + "; name one in DefaultTrainingConfig.optDevices (LOCAL_RANK "
                            + group.getLaunch().localRank()
                            + " is this process's index on its host) and start one process per"
                            + " device");
        }
        if (group.getWorldSize() > 1) {
            share = manager.create(1f / group.getWorldSize());
        }
    }

    /** Copies rank 0's values to every rank: called once, when the parameters exist. */
    @Override
    public void broadcastParameters(List<NDArray> values) {
        if (group.getWorldSize() > 1) {
            group.broadcast(values, 0);
        }
    }

    @Override
    public void backward(NDArray loss, Consumer<NDArray> pass) {
        if (share == null) {
            pass.accept(loss);
            return;
        }
        NDArray typed = share.toType(loss.getDataType(), false).toDevice(loss.getDevice(), false);
        try (NDArray scaled = loss.mul(typed)) {
            pass.accept(scaled);
        } finally {
            if (typed != share) {
                typed.close();
            }
        }
    }

    /** The backward ran on the caller's thread. */
    @Override
    public void awaitBackward() {}

    @Override
    public void reduceGradients(List<NDArray[]> gradients, NDManager scope) {
        if (group.getWorldSize() == 1) {
            return;
        }
        List<NDArray> local = new ArrayList<>(gradients.size());
        List<NDArray> sent = new ArrayList<>(gradients.size());
        for (NDArray[] perDevice : gradients) {
            NDArray gradient = perDevice[0];
            local.add(gradient);
            if (communicationType == DataType.FLOAT16
                    && gradient.getDataType() == DataType.FLOAT32) {
                NDArray half = gradient.toType(DataType.FLOAT16, true);
                half.attach(scope);
                sent.add(half);
            } else {
                sent.add(gradient);
            }
        }
        group.allReduce(sent, ReduceOp.SUM);
        for (int i = 0; i < local.size(); i++) {
            if (sent.get(i) != local.get(i)) {
                try (NDArray wide = sent.get(i).toType(DataType.FLOAT32, true)) {
                    local.get(i).set(wide.toByteBuffer());
                }
            }
        }
    }

    @Override
    public void agreeOnFoundInf(NDArray foundInf) {
        if (group.getWorldSize() > 1) {
            group.allReduce(foundInf, ReduceOp.MAX);
        }
    }

    /** One device per process: the ranks applied the same update, so there is nothing to copy. */
    @Override
    public void broadcastValues(List<NDArray[]> values, AmpKernels kernels) {}

    /** Rank 0 writes checkpoints; every rank loads them. */
    @Override
    public boolean writesCheckpoints() {
        return group.getRank() == 0;
    }

    @Override
    public void close() {
        if (share != null) {
            share.close();
            share = null;
        }
        if (ownsGroup) {
            group.close();
        }
    }
}

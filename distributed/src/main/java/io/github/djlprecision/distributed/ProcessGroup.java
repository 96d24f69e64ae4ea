package io.github.djlprecision.distributed;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The processes of one training run and their collectives, as {@code torch.distributed}'s default
 * process group with the Gloo backend: all-reduce, broadcast and barrier over DJL PyTorch arrays,
 * in place. The reductions are Gloo's (the library PyTorch's {@code ProcessGroupGloo} runs on the
 * CPU) over its TCP transport; ranks meet through a store rank 0 serves at {@code
 * MASTER_ADDR:MASTER_PORT}.
 *
 * <p>Every collective must be called by every rank in the same order. Each waits at most the
 * group's timeout: a peer that died or hung makes it throw {@link ProcessGroupException} naming this
 * rank, the timeout and, when the rendezvous knows it, the rank that ended. After that the group is
 * unusable and every further call throws.
 *
 * <p>CPU arrays are reduced in their own memory; arrays on a GPU go through a CPU copy (the CUDA
 * path of this group is Gloo over host memory, not NCCL).
 */
public final class ProcessGroup implements AutoCloseable {

    /** The timeout when none is given: long enough for a slow first step, short of a hang. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    /** Arrays are packed into buckets of at most this many bytes per all-reduce (DDP's default). */
    public static final long BUCKET_BYTES = 25L << 20;

    /** The C interface over Gloo, loaded once per JVM. */
    private static GlooLibrary library;

    private final GlooLibrary gloo;
    private final RendezvousStore store;
    private final LaunchEnvironment launch;
    private final Duration timeout;
    private Pointer group;
    private String failure;

    private ProcessGroup(
            GlooLibrary gloo,
            RendezvousStore store,
            LaunchEnvironment launch,
            Duration timeout,
            Pointer group) {
        this.gloo = gloo;
        this.store = store;
        this.launch = launch;
        this.timeout = timeout;
        this.group = group;
    }

    /**
     * Starts the group from this process's environment ({@code RANK}, {@code WORLD_SIZE}, {@code
     * MASTER_ADDR}, {@code MASTER_PORT}) with the default timeout.
     *
     * @return the connected group
     * @throws IllegalArgumentException when a variable is missing or not valid
     * @throws ProcessGroupException when the peers do not all meet within the timeout
     */
    public static ProcessGroup fromEnvironment() {
        return start(LaunchEnvironment.fromEnvironment(), DEFAULT_TIMEOUT);
    }

    /**
     * Starts the group: every rank calls this, and it returns once all are connected.
     *
     * @param launch this process's place in the run
     * @param timeout how long the rendezvous and each later collective may wait for the peers
     * @return the connected group
     * @throws IllegalArgumentException when the timeout is not positive
     * @throws ProcessGroupException when the peers do not all meet within the timeout
     */
    public static ProcessGroup start(LaunchEnvironment launch, Duration timeout) {
        Objects.requireNonNull(launch, "launch");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the timeout must be positive, got " + timeout);
        }
        GlooLibrary gloo = library();
        RendezvousStore store = RendezvousStore.connect(launch, timeout);
        GlooLibrary.StoreSet set =
                (key, data, length) -> {
                    try {
                        store.set(key, length == 0 ? new byte[0] : data.getByteArray(0, (int) length));
                        return 0;
                    } catch (RuntimeException e) {
                        return 1;
                    }
                };
        GlooLibrary.StoreGet get =
                (key, out, capacity, millis) -> {
                    try {
                        byte[] value = store.get(key, millis);
                        if (value == null) {
                            return -1;
                        }
                        if (out != null) {
                            out.write(0, value, 0, (int) Math.min(capacity, value.length));
                        }
                        return value.length;
                    } catch (RuntimeException e) {
                        return -1;
                    }
                };
        byte[] error = new byte[GlooLibrary.ERROR_CAPACITY];
        Pointer group =
                gloo.djlp_gloo_connect(
                        launch.rank(),
                        launch.worldSize(),
                        store.localAddress(),
                        timeout.toMillis(),
                        set,
                        get,
                        error,
                        error.length);
        if (group == null) {
            String message =
                    describe(launch, "rendezvous", timeout)
                            + ": "
                            + Native.toString(error)
                            + peers(store);
            store.close();
            throw new ProcessGroupException(message);
        }
        return new ProcessGroup(gloo, store, launch, timeout, group);
    }

    private static synchronized GlooLibrary library() {
        if (library == null) {
            library = GlooLibrary.load();
        }
        return library;
    }

    /**
     * Returns this process's rank.
     *
     * @return in {@code [0, getWorldSize())}
     */
    public int getRank() {
        return launch.rank();
    }

    /**
     * Returns the number of processes.
     *
     * @return at least 1
     */
    public int getWorldSize() {
        return launch.worldSize();
    }

    /**
     * Returns this process's launch.
     *
     * @return the launch
     */
    public LaunchEnvironment getLaunch() {
        return launch;
    }

    /**
     * Returns how long a collective waits for the peers.
     *
     * @return the timeout
     */
    public Duration getTimeout() {
        return timeout;
    }

    /**
     * All-reduces one array in place.
     *
     * @param array the array, the same shape and type on every rank
     * @param op how values combine
     * @throws IllegalArgumentException when the array's type is not reducible or AVG is asked of
     *     an integer array
     * @throws ProcessGroupException when a peer died or hung
     */
    public void allReduce(NDArray array, ReduceOp op) {
        allReduce(List.of(array), op);
    }

    /**
     * All-reduces arrays in place, packed into buckets of at most {@link #BUCKET_BYTES} per type:
     * one Gloo all-reduce per bucket, as DDP's gradient buckets.
     *
     * @param arrays the arrays, the same shapes, types and order on every rank
     * @param op how values combine
     * @throws IllegalArgumentException when a type is not reducible or AVG is asked of an integer
     *     array
     * @throws ProcessGroupException when a peer died or hung
     */
    public void allReduce(List<NDArray> arrays, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        for (NDArray array : arrays) {
            TensorMemory.typeCode(array.getDataType()); // refuses a type Gloo does not reduce
            if (op == ReduceOp.AVG && !array.getDataType().isFloating()) {
                throw new IllegalArgumentException(
                        "AVG reduces floating-point arrays, got " + array.getDataType());
            }
        }
        ensureUsable();
        Map<DataType, List<NDArray>> byType = new LinkedHashMap<>();
        for (NDArray array : arrays) {
            byType.computeIfAbsent(array.getDataType(), t -> new ArrayList<>()).add(array);
        }
        for (Map.Entry<DataType, List<NDArray>> entry : byType.entrySet()) {
            List<NDArray> bucket = new ArrayList<>();
            long bytes = 0;
            for (NDArray array : entry.getValue()) {
                long size = array.size() * entry.getKey().getNumOfBytes();
                if (!bucket.isEmpty() && bytes + size > BUCKET_BYTES) {
                    reduceBucket(bucket, entry.getKey(), op);
                    bucket.clear();
                    bytes = 0;
                }
                bucket.add(array);
                bytes += size;
            }
            if (!bucket.isEmpty()) {
                reduceBucket(bucket, entry.getKey(), op);
            }
        }
        if (op == ReduceOp.AVG && getWorldSize() > 1) {
            for (NDArray array : arrays) {
                array.divi(getWorldSize());
            }
        }
    }

    private void reduceBucket(List<NDArray> bucket, DataType type, ReduceOp op) {
        List<NDArray> staged = stage(bucket);
        try {
            Pointer[] pointers = new Pointer[staged.size()];
            long[] elements = new long[staged.size()];
            for (int i = 0; i < staged.size(); i++) {
                pointers[i] = TensorMemory.dataPointer(staged.get(i));
                elements[i] = staged.get(i).size();
            }
            byte[] error = new byte[GlooLibrary.ERROR_CAPACITY];
            int rc =
                    gloo.djlp_gloo_allreduce(
                            group,
                            pointers,
                            elements,
                            pointers.length,
                            TensorMemory.typeCode(type),
                            op == ReduceOp.MAX ? GlooLibrary.MAX : GlooLibrary.SUM,
                            timeout.toMillis(),
                            error,
                            error.length);
            check(rc, "all-reduce", error);
            unstage(bucket, staged);
        } finally {
            closeStaged(bucket, staged);
        }
    }

    /**
     * Copies arrays from one rank to every other, in place.
     *
     * @param arrays the arrays, the same shapes, types and order on every rank
     * @param root the rank whose values every rank gets
     * @throws IllegalArgumentException when the root is not a rank
     * @throws ProcessGroupException when a peer died or hung
     */
    public void broadcast(List<NDArray> arrays, int root) {
        if (root < 0 || root >= getWorldSize()) {
            throw new IllegalArgumentException(
                    "root must be a rank in [0, " + getWorldSize() + "), got " + root);
        }
        for (NDArray array : arrays) {
            TensorMemory.typeCode(array.getDataType());
        }
        ensureUsable();
        List<NDArray> staged = stage(arrays);
        try {
            for (NDArray array : staged) {
                byte[] error = new byte[GlooLibrary.ERROR_CAPACITY];
                int rc =
                        gloo.djlp_gloo_broadcast(
                                group,
                                TensorMemory.dataPointer(array),
                                array.size() * array.getDataType().getNumOfBytes(),
                                root,
                                timeout.toMillis(),
                                error,
                                error.length);
                check(rc, "broadcast", error);
            }
            unstage(arrays, staged);
        } finally {
            closeStaged(arrays, staged);
        }
    }

    /**
     * Waits until every rank has called it.
     *
     * @throws ProcessGroupException when a peer died or hung
     */
    public void barrier() {
        ensureUsable();
        byte[] error = new byte[GlooLibrary.ERROR_CAPACITY];
        check(gloo.djlp_gloo_barrier(group, timeout.toMillis(), error, error.length), "barrier", error);
    }

    /** Waits for the peers (a barrier), then releases the connections; a failed group only closes. */
    @Override
    public void close() {
        if (group == null) {
            return;
        }
        try {
            if (failure == null) {
                barrier();
                gloo.djlp_gloo_close(group);
            }
        } finally {
            group = null;
            store.close();
        }
    }

    private static List<NDArray> stage(List<NDArray> arrays) {
        List<NDArray> staged = new ArrayList<>(arrays.size());
        for (NDArray array : arrays) {
            staged.add(array.getDevice().isGpu() ? array.toDevice(Device.cpu(), true) : array);
        }
        return staged;
    }

    private static void unstage(List<NDArray> arrays, List<NDArray> staged) {
        for (int i = 0; i < arrays.size(); i++) {
            if (arrays.get(i) != staged.get(i)) {
                arrays.get(i).set(staged.get(i).toByteBuffer());
            }
        }
    }

    private static void closeStaged(List<NDArray> arrays, List<NDArray> staged) {
        for (int i = 0; i < arrays.size(); i++) {
            if (arrays.get(i) != staged.get(i)) {
                staged.get(i).close();
            }
        }
    }

    private void ensureUsable() {
        if (group == null) {
            throw new IllegalStateException("the process group is closed");
        }
        if (failure != null) {
            throw new ProcessGroupException(
                    "the process group is unusable after an earlier failure: " + failure);
        }
    }

    private void check(int rc, String what, byte[] error) {
        if (rc != 0) {
            failure =
                    describe(launch, what, timeout) + ": " + Native.toString(error) + peers(store);
            throw new ProcessGroupException(failure);
        }
    }

    private static String describe(LaunchEnvironment launch, String what, Duration timeout) {
        return "rank "
                + launch.rank()
                + " of "
                + launch.worldSize()
                + ": "
                + what
                + " failed (timeout "
                + timeout.toMillis()
                + " ms)";
    }

    /**
     * What the rendezvous knows of the peers, for an error message. A peer's connections close
     * together when it dies, but the store may see it a moment after Gloo did: it is asked for up
     * to a second.
     */
    private static String peers(RendezvousStore store) {
        try {
            for (int attempt = 0; attempt < 10; attempt++) {
                Set<Integer> gone = store.goneRanks();
                if (!gone.isEmpty()) {
                    return "; rank"
                            + (gone.size() > 1 ? "s " : " ")
                            + gone
                            + " ended (process exited)";
                }
                Thread.sleep(100);
            }
            return "; no rank has ended: a peer hung or is slower than the timeout";
        } catch (IOException | RuntimeException e) {
            return "; rank 0 ended (its rendezvous store is gone)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}

package io.github.djlprecision.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * One rank of {@link ProcessGroupTest}'s runs. Arguments: a mode, the timeout in seconds and, for
 * {@code stall}, the rank that stalls. Modes: {@code collectives} prints the results of each
 * collective; {@code stall} has every rank all-reduce but the stalling one, which prints {@code
 * READY} and never joins (the test kills it, or lets the others time out).
 */
public final class CollectivesWorker {

    private CollectivesWorker() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Duration timeout = Duration.ofSeconds(Long.parseLong(args[1]));
        LaunchEnvironment launch = LaunchEnvironment.fromEnvironment();
        int rank = launch.rank();
        try (NDManager manager = NDManager.newBaseManager();
                ProcessGroup group = ProcessGroup.start(launch, timeout)) {
            System.out.println("CONNECTED " + rank);
            if ("collectives".equals(mode)) {
                collectives(group, manager, rank);
            } else {
                NDArray value = manager.create(new float[] {rank});
                int stalling = Integer.parseInt(args[2]);
                if (rank != stalling) {
                    long start = System.nanoTime();
                    try {
                        group.allReduce(value, ReduceOp.SUM);
                        System.out.println("UNEXPECTED all-reduce completed");
                    } catch (ProcessGroupException e) {
                        long millis = (System.nanoTime() - start) / 1_000_000;
                        System.out.println("FAILED after " + millis + " ms: " + e.getMessage());
                        System.out.flush();
                        Runtime.getRuntime().halt(3);
                    }
                } else {
                    System.out.println("READY");
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE);
                }
            }
        }
        System.out.println("DONE " + rank);
    }

    private static void collectives(ProcessGroup group, NDManager manager, int rank) {
        NDArray sum = manager.create(new float[] {rank + 1, 10 * (rank + 1), -rank});
        group.allReduce(sum, ReduceOp.SUM);
        print("SUM", sum);

        NDArray avg = manager.create(new float[] {rank + 1, 3 * rank});
        group.allReduce(avg, ReduceOp.AVG);
        print("AVG", avg);

        NDArray flag = manager.create(new float[] {rank == 1 ? 1 : 0});
        group.allReduce(flag, ReduceOp.MAX);
        print("MAX", flag);

        // one bucket of several arrays and types: float32 matrices and a float16 vector
        NDArray first = manager.arange(6f).reshape(2, 3).add(rank);
        NDArray second = manager.ones(new ai.djl.ndarray.types.Shape(4)).mul(rank + 1);
        NDArray half = manager.create(new float[] {0.5f, rank}).toType(DataType.FLOAT16, false);
        group.allReduce(List.of(first, second, half), ReduceOp.SUM);
        print("BUCKET0", first);
        print("BUCKET1", second);
        print("BUCKET2", half.toType(DataType.FLOAT32, false));

        NDArray broadcast = manager.create(new float[] {rank + 7, rank * 2});
        NDArray count = manager.create(new int[] {rank + 100});
        group.broadcast(List.of(broadcast, count), 0);
        print("BROADCAST", broadcast);
        System.out.println("BROADCAST_INT " + Arrays.toString(count.toIntArray()));
        group.barrier();
    }

    private static void print(String label, NDArray array) {
        System.out.println(label + " " + Arrays.toString(array.toFloatArray()));
    }
}

package io.github.djlprecision.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.RandomAccessDataset;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Bad input is refused in Java, naming the problem, before any native call; a run of one. */
class ProcessGroupArgumentsTest {

    private static String message(Runnable call) {
        return assertThrows(IllegalArgumentException.class, call::run).getMessage();
    }

    @Test
    void launchVariablesAreCheckedAndNamed() {
        assertTrue(message(() -> LaunchEnvironment.from(Map.of())).contains("RANK is not set"));
        assertTrue(
                message(() -> LaunchEnvironment.from(
                                Map.of("RANK", "2", "WORLD_SIZE", "2", "MASTER_PORT", "29500")))
                        .contains("RANK must be in [0, 2), got 2"));
        assertTrue(
                message(() -> LaunchEnvironment.from(
                                Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_PORT", "http")))
                        .contains("MASTER_PORT must be an integer, got 'http'"));
        assertTrue(
                message(() -> LaunchEnvironment.from(
                                Map.of("RANK", "0", "WORLD_SIZE", "1", "MASTER_PORT", "70000")))
                        .contains("MASTER_PORT must be a TCP port in [1, 65535], got 70000"));
        LaunchEnvironment launch =
                LaunchEnvironment.from(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_PORT", "1"));
        assertEquals(new LaunchEnvironment(1, 2, 1, "127.0.0.1", 1), launch);
    }

    @Test
    void aGroupOfOneRefusesBadCallsAndReducesToItself() throws Exception {
        int port = freePort();
        LaunchEnvironment launch = new LaunchEnvironment(0, 1, 0, "127.0.0.1", port);
        assertTrue(message(() -> ProcessGroup.start(launch, Duration.ZERO)).contains("positive"));
        try (NDManager manager = NDManager.newBaseManager()) {
            ProcessGroup group = ProcessGroup.start(launch, Duration.ofSeconds(30));
            NDArray ints = manager.create(new int[] {1, 2});
            assertTrue(
                    message(() -> group.allReduce(ints, ReduceOp.AVG))
                            .contains("AVG reduces floating-point arrays, got int32"));
            NDArray bytes = manager.create(new byte[] {1}).toType(DataType.INT8, false);
            assertTrue(message(() -> group.allReduce(bytes, ReduceOp.SUM)).contains("int8"));
            assertTrue(
                    message(() -> group.broadcast(List.of(ints), 1))
                            .contains("root must be a rank in [0, 1), got 1"));
            NDArray values = manager.create(new float[] {1.5f, -2f});
            group.allReduce(values, ReduceOp.AVG);
            group.allReduce(List.of(values, ints), ReduceOp.MAX);
            group.broadcast(List.of(values), 0);
            assertArrayEquals(new float[] {1.5f, -2f}, values.toFloatArray());
            assertArrayEquals(new int[] {1, 2}, ints.toIntArray());
            group.close();
            assertThrows(IllegalStateException.class, group::barrier);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aRendezvousThatCannotHappenFailsWithinItsTimeout() throws Exception {
        Duration timeout = Duration.ofSeconds(2);
        int port = freePort();
        // rank 1 whose rank 0 never starts
        String noRankZero =
                assertThrows(
                                ProcessGroupException.class,
                                () ->
                                        ProcessGroup.start(
                                                new LaunchEnvironment(1, 2, 1, "127.0.0.1", port),
                                                timeout))
                        .getMessage();
        assertTrue(
                noRankZero.contains(
                        "rank 1: rank 0's rendezvous at 127.0.0.1:"
                                + port
                                + " could not be reached within 2000 ms"),
                noRankZero);
        // rank 0 whose rank 1 never comes
        long start = System.nanoTime();
        String noRankOne =
                assertThrows(
                                ProcessGroupException.class,
                                () ->
                                        ProcessGroup.start(
                                                new LaunchEnvironment(0, 2, 0, "127.0.0.1", port),
                                                timeout))
                        .getMessage();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(noRankOne.startsWith("rank 0 of 2: rendezvous failed (timeout 2000 ms)"), noRankOne);
        assertTrue(millis < 20_000, millis + " ms: " + noRankOne);
        // a port that is taken
        try (ServerSocket taken = new ServerSocket(0)) {
            String busy =
                    assertThrows(
                                    ProcessGroupException.class,
                                    () ->
                                            ProcessGroup.start(
                                                    new LaunchEnvironment(
                                                            0, 1, 0, "127.0.0.1", taken.getLocalPort()),
                                                    timeout))
                            .getMessage();
            assertTrue(busy.contains("MASTER_PORT must be a free port"), busy);
        }
    }

    @Test
    void eachRankGetsEveryWorldSizeThRecord() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(manager.arange(5f).reshape(new Shape(5, 1)))
                            .setSampling(1, false)
                            .build();
            RandomAccessDataset share = DatasetShards.shard(dataset, 1, 2);
            assertEquals(2, share.size());
            assertEquals(1f, share.get(manager, 0).getData().singletonOrThrow().getFloat());
            assertEquals(3f, share.get(manager, 1).getData().singletonOrThrow().getFloat());
            assertTrue(
                    message(() -> DatasetShards.shard(dataset, 2, 2))
                            .contains("rank must be in [0, worldSize)"));
            assertTrue(
                    message(() -> DatasetShards.shard(dataset, 0, 6))
                            .contains("the dataset has 5 records, fewer than the 6 ranks"));
        }
    }
}

package io.github.djlprecision.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Two JVMs on the loopback interface: Gloo's collectives, and a peer that dies or hangs. */
class ProcessGroupTest {

    @Test
    void twoProcessesAllReduceAndBroadcast() throws Exception {
        try (Ranks ranks = Ranks.start(2, CollectivesWorker.class, Map.of(), "collectives", "60")) {
            List<Ranks.Result> results = ranks.awaitAll(180);
            for (Ranks.Result result : results) {
                assertEquals(0, result.exitCode(), result.describe());
                String out = result.output();
                assertTrue(out.contains("SUM [3.0, 30.0, -1.0]"), result.describe());
                assertTrue(out.contains("AVG [1.5, 1.5]"), result.describe());
                assertTrue(out.contains("MAX [1.0]"), result.describe());
                assertTrue(out.contains("BUCKET0 [1.0, 3.0, 5.0, 7.0, 9.0, 11.0]"), result.describe());
                assertTrue(out.contains("BUCKET1 [3.0, 3.0, 3.0, 3.0]"), result.describe());
                assertTrue(out.contains("BUCKET2 [1.0, 1.0]"), result.describe());
                assertTrue(out.contains("BROADCAST [7.0, 0.0]"), result.describe());
                assertTrue(out.contains("BROADCAST_INT [100]"), result.describe());
                assertTrue(out.contains("DONE " + result.rank()), result.describe());
            }
        }
    }

    @Test
    void theLauncherStartsEveryRank() throws Exception {
        try (Ranks launcher = Ranks.startLauncher(2, CollectivesWorker.class, "collectives", "60")) {
            Ranks.Result result = launcher.await(0, 180);
            assertEquals(0, result.exitCode(), result.describe());
            String out = result.output();
            assertEquals(2, out.split("SUM \\[3.0, 30.0, -1.0]", -1).length - 1, out);
            assertTrue(out.contains("DONE 0") && out.contains("DONE 1"), out);
        }
    }

    @Test
    void killedRankEndsTheOtherWithTheNamedError() throws Exception {
        try (Ranks ranks = Ranks.start(2, CollectivesWorker.class, Map.of(), "stall", "60", "1")) {
            assertTrue(ranks.awaitLine(1, "READY", 120), ranks.outputOf(1));
            assertTrue(ranks.awaitLine(0, "CONNECTED 0", 30), ranks.outputOf(0));
            long start = System.nanoTime();
            ranks.kill(1);
            Ranks.Result survivor = ranks.await(0, 90);
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertEquals(3, survivor.exitCode(), survivor.describe());
            String out = survivor.output();
            assertTrue(out.contains("rank 0 of 2: all-reduce failed (timeout 60000 ms)"), out);
            assertTrue(out.contains("rank [1] ended"), out);
            assertTrue(seconds < 60, "took " + seconds + " s: " + out);
        }
    }

    @Test
    void killedRankZeroEndsTheOtherWithTheNamedError() throws Exception {
        try (Ranks ranks = Ranks.start(2, CollectivesWorker.class, Map.of(), "stall", "60", "0")) {
            assertTrue(ranks.awaitLine(0, "READY", 120), ranks.outputOf(0));
            assertTrue(ranks.awaitLine(1, "CONNECTED 1", 30), ranks.outputOf(1));
            long start = System.nanoTime();
            ranks.kill(0);
            Ranks.Result survivor = ranks.await(1, 90);
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertEquals(3, survivor.exitCode(), survivor.describe());
            String out = survivor.output();
            assertTrue(out.contains("rank 1 of 2: all-reduce failed (timeout 60000 ms)"), out);
            assertTrue(out.contains("rank 0 ended (its rendezvous store is gone)"), out);
            assertTrue(seconds < 60, "took " + seconds + " s: " + out);
        }
    }

    @Test
    void hungRankEndsTheOtherWithinTheTimeout() throws Exception {
        try (Ranks ranks = Ranks.start(2, CollectivesWorker.class, Map.of(), "stall", "3", "1")) {
            assertTrue(ranks.awaitLine(1, "READY", 120), ranks.outputOf(1));
            Ranks.Result survivor = ranks.await(0, 90);
            assertEquals(3, survivor.exitCode(), survivor.describe());
            String out = survivor.output();
            assertTrue(out.contains("rank 0 of 2: all-reduce failed (timeout 3000 ms)"), out);
            assertTrue(out.contains("no rank has ended: a peer hung"), out);
            long millis =
                    Long.parseLong(out.replaceAll("(?s).*FAILED after (\\d+) ms.*", "$1"));
            assertTrue(millis >= 2_900 && millis < 30_000, out);
        }
    }
}

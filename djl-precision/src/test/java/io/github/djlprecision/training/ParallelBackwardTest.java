package io.github.djlprecision.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParallelBackwardTest {

    @Test
    void passesRunAtOnceAndAwaitWaitsForAll() throws InterruptedException {
        CountDownLatch bothStarted = new CountDownLatch(2);
        AtomicInteger done = new AtomicInteger();
        try (ParallelBackward backward = new ParallelBackward(2)) {
            for (int i = 0; i < 2; i++) {
                backward.submit(
                        () -> {
                            bothStarted.countDown();
                            try {
                                // each pass waits for the other: they only end if they run at once
                                assertTrue(bothStarted.await(10, TimeUnit.SECONDS));
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                            done.incrementAndGet();
                        });
            }
            backward.await();
            assertEquals(2, done.get());
            backward.await(); // nothing pending: returns at once
        }
    }

    @Test
    void theFirstFailureIsThrownAsItWasAfterEveryPassEnded() {
        IllegalStateException first = new IllegalStateException("device 0");
        AtomicInteger done = new AtomicInteger();
        try (ParallelBackward backward = new ParallelBackward(2)) {
            backward.submit(
                    () -> {
                        throw first;
                    });
            backward.submit(done::incrementAndGet);
            assertSame(first, assertThrows(IllegalStateException.class, backward::await));
            assertEquals(1, done.get());
            backward.await(); // the failure was reported once
        }
    }
}

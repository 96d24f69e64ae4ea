package io.github.djlprecision.training;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the devices' backward passes on threads of their own, so that a step over several GPUs
 * keeps them all busy. DJL's {@code EasyTrain.trainBatch} runs each device's forward and backward
 * one after the other in the caller's thread; a backward returns only once LibTorch has queued all
 * its kernels, which for a large model means waiting for the device to drain its launch queue, and
 * meanwhile the next device has no work. (DJL's own multi-threaded path, through {@code
 * TrainingConfig.optExecutorService}, does not wait for its splits before the step.) Here the
 * caller goes on to the next device's forward while a backward runs, and the step waits for all of
 * them: what PyTorch's {@code DataParallel} gets from one thread per device.
 */
final class ParallelBackward implements AutoCloseable {

    private final ExecutorService threads;
    private final List<Future<?>> pending = new ArrayList<>();

    /**
     * Creates one daemon thread per device.
     *
     * @param devices the number of training devices, at least 2
     */
    ParallelBackward(int devices) {
        AtomicInteger count = new AtomicInteger();
        threads =
                Executors.newFixedThreadPool(
                        devices,
                        task -> {
                            Thread thread =
                                    new Thread(
                                            task,
                                            "djl-precision-backward-" + count.getAndIncrement());
                            thread.setDaemon(true);
                            return thread;
                        });
    }

    /**
     * Starts a backward pass.
     *
     * @param backward the pass, e.g. DJL's collector's {@code backward} on one device's loss
     */
    synchronized void submit(Runnable backward) {
        pending.add(threads.submit(backward));
    }

    /**
     * Waits for every backward pass started so far; the first failure is thrown as it was, after
     * all of them ended.
     */
    synchronized void await() {
        RuntimeException failure = null;
        for (Future<?> future : pending) {
            try {
                future.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                if (failure == null) {
                    failure =
                            cause instanceof RuntimeException
                                    ? (RuntimeException) cause
                                    : new IllegalStateException(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted waiting for a backward pass", e);
            }
        }
        pending.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /** Waits for the passes still running, then stops the threads. */
    @Override
    public void close() {
        try {
            await();
        } finally {
            threads.shutdown();
        }
    }
}

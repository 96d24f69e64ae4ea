package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djlprecision.spi.ForwardContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NativeAutocastTest {

    private final NativeAutocast autocast = new NativeAutocast(LibTorchAmp.get());
    private final Device cpu = Device.cpu();

    private static DataType matmulType(NDManager manager) {
        NDArray a = manager.ones(new Shape(4, 8));
        NDArray b = manager.ones(new Shape(8, 2));
        return a.matMul(b).getDataType();
    }

    @Test
    void matmulComputesInFloat16OnlyInsideTheScope() {
        try (NDManager manager = NDManager.newBaseManager(cpu, "PyTorch")) {
            assertEquals(DataType.FLOAT32, matmulType(manager));
            try (ForwardContext ignored = autocast.enter(cpu, DataType.FLOAT16)) {
                assertTrue(autocast.isEnabled(cpu));
                assertEquals(DataType.FLOAT16, matmulType(manager));
            }
            assertFalse(autocast.isEnabled(cpu));
            assertEquals(DataType.FLOAT32, matmulType(manager));
        }
    }

    @Test
    void bfloat16ResultReadsAsUnknownInDjl() {
        try (NDManager manager = NDManager.newBaseManager(cpu, "PyTorch");
                ForwardContext ignored = autocast.enter(cpu, DataType.BFLOAT16)) {
            NDArray out = manager.ones(new Shape(4, 8)).matMul(manager.ones(new Shape(8, 2)));
            // DJL cannot name bf16: this is why every bf16 output is cast before DJL sees it
            assertEquals(DataType.UNKNOWN, out.getDataType());
            NDArray fp32 = out.toType(DataType.FLOAT32, false);
            assertEquals(DataType.FLOAT32, fp32.getDataType());
            assertEquals(8f, fp32.getFloat(0, 0));
        }
    }

    @Test
    void innerScopeDoesNotSwitchAutocastOffEarly() {
        try (NDManager manager = NDManager.newBaseManager(cpu, "PyTorch")) {
            try (ForwardContext outer = autocast.enter(cpu, DataType.FLOAT16)) {
                try (ForwardContext inner = autocast.enter(cpu, DataType.FLOAT16)) {
                    assertEquals(DataType.FLOAT16, matmulType(manager));
                }
                assertTrue(autocast.isEnabled(cpu));
                assertEquals(DataType.FLOAT16, matmulType(manager));
            }
            assertFalse(autocast.isEnabled(cpu));
        }
    }

    @Test
    void scopeIsRestoredWhenTheForwardThrows() {
        assertThrows(
                IllegalStateException.class,
                () -> {
                    try (ForwardContext ignored = autocast.enter(cpu, DataType.FLOAT16)) {
                        throw new IllegalStateException("forward failed");
                    }
                });
        assertFalse(autocast.isEnabled(cpu));
    }

    @Test
    void otherThreadsAreNotAffected() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        CompletableFuture<Void> holder =
                CompletableFuture.runAsync(
                        () -> {
                            try (ForwardContext ignored = autocast.enter(cpu, DataType.FLOAT16)) {
                                entered.countDown();
                                checked.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        try (NDManager manager = NDManager.newBaseManager(cpu, "PyTorch")) {
            assertFalse(autocast.isEnabled(cpu));
            assertEquals(DataType.FLOAT32, matmulType(manager));
        } finally {
            checked.countDown();
        }
        holder.get(30, TimeUnit.SECONDS);
    }

    @Test
    void closingOnAnotherThreadIsRefused() throws Exception {
        ForwardContext scope = autocast.enter(cpu, DataType.FLOAT16);
        try {
            CompletableFuture<Throwable> elsewhere =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    scope.close();
                                    return null;
                                } catch (IllegalStateException e) {
                                    return e;
                                }
                            });
            Throwable error = elsewhere.get(30, TimeUnit.SECONDS);
            assertTrue(error instanceof IllegalStateException);
            assertTrue(autocast.isEnabled(cpu));
        } finally {
            scope.close();
        }
        assertFalse(autocast.isEnabled(cpu));
    }
}

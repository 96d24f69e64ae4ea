package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Checks LibTorch autocast on a CUDA device: the data type each operation computed in. Only
 * tensors made on the device and data-type queries are used, so it also runs where DJL's JNI
 * meets a newer libtorch (the H200 machine: reading values back fails there). Run by {@link
 * CudaAutocastTest} on a machine with a GPU, or directly: {@code java ... CudaAutocastProbe}.
 */
public final class CudaAutocastProbe {

    private CudaAutocastProbe() {}

    /**
     * Runs every check and prints one line per check.
     *
     * @param args unused
     */
    public static void main(String[] args) throws Exception {
        List<String> failures = check(Device.gpu());
        System.out.println(failures.isEmpty() ? "ALL CUDA CHECKS PASSED" : "FAILED: " + failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    static List<String> check(Device gpu) throws Exception {
        List<String> failures = new ArrayList<>();
        NativeAutocast autocast = new NativeAutocast(LibTorchAmp.get());
        try (NDManager manager = NDManager.newBaseManager(gpu, "PyTorch")) {
            NDArray a = manager.randomNormal(new Shape(64, 128));
            NDArray b = manager.randomNormal(new Shape(128, 32));
            expect(failures, "fp32 outside any scope", DataType.FLOAT32, a.matMul(b).getDataType());
            try (ForwardContext outer = autocast.enter(gpu, DataType.FLOAT16)) {
                expect(failures, "fp16 scope: matmul", DataType.FLOAT16, a.matMul(b).getDataType());
                try (ForwardContext inner = autocast.enter(gpu, DataType.FLOAT16)) {
                    expect(failures, "nested scope: matmul", DataType.FLOAT16, a.matMul(b).getDataType());
                }
                expect(failures, "after inner scope closed", DataType.FLOAT16, a.matMul(b).getDataType());
                expect(failures, "other thread unaffected", DataType.FLOAT32, onOtherThread(a, b));
            }
            expect(failures, "fp32 after the scope", DataType.FLOAT32, a.matMul(b).getDataType());
            try (ForwardContext ignored = autocast.enter(gpu, DataType.BFLOAT16)) {
                // DJL cannot name bf16: it reads as UNKNOWN, which is why outputs are cast back
                expect(failures, "bf16 scope: matmul", DataType.UNKNOWN, a.matMul(b).getDataType());
            }
            try (ForwardContext ignored = autocast.enter(gpu, DataType.FLOAT16)) {
                autocast.enter(Device.cpu(), DataType.FLOAT16).close();
                expect(failures, "cpu scope leaves cuda on", DataType.FLOAT16, a.matMul(b).getDataType());
            }
            for (String precision : new String[] {"16-mixed", "bf16-mixed"}) {
                // bf16-mixed plans its fp32 islands on the model: here one without blocks
                try (Model model = Model.newInstance("probe", gpu, "PyTorch")) {
                    model.setBlock(new SequentialBlock());
                    PrecisionPlugin plugin =
                            PrecisionPlugins.create(
                                    new PluginRequest(
                                            "PyTorch",
                                            gpu,
                                            PrecisionConfig.of(precision),
                                            PluginRequest.Purpose.INFERENCE,
                                            model));
                    NDList out;
                    try (ForwardContext ignored = plugin.forwardContext(gpu)) {
                        out = new NDList(Activation.relu(a.matMul(b)));
                    }
                    NDArray converted = plugin.convertOutput(out).head();
                    expect(failures, precision + " output for the loss", DataType.FLOAT32, converted.getDataType());
                    System.out.println("path " + plugin.getPath());
                    plugin.close();
                }
            }
            // synchronise before leaving: a reduced tensor moved to the host
            a.matMul(b).sum().toDevice(Device.cpu(), false).getShape();
        }
        return failures;
    }

    private static DataType onOtherThread(NDArray a, NDArray b) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<DataType> type =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return a.matMul(b).getDataType();
                            } finally {
                                done.countDown();
                            }
                        });
        done.await(60, TimeUnit.SECONDS);
        return type.get(60, TimeUnit.SECONDS);
    }

    private static void expect(List<String> failures, String what, DataType expected, DataType actual) {
        boolean ok = expected == actual;
        System.out.println((ok ? "ok   " : "FAIL ") + what + ": " + actual);
        if (!ok) {
            failures.add(what + " was " + actual + ", expected " + expected);
        }
    }
}

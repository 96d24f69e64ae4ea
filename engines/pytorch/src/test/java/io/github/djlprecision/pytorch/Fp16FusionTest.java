package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.OptimizerFusion;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.FusedOptimizer;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which fp16 parameters fuse: on CUDA, whose multi-tensor kernels compute fp16 parameters in fp32
 * as torch's {@code SGD(fused=True)} does on a {@code .half()} model; not on the CPU, where LibTorch
 * 2.7.1's fused SGD left fp16 parameters unchanged. That a fused fp16 step equals the unfused one on
 * CUDA is {@code CudaSpeedProbe fused}'s check.
 */
class Fp16FusionTest {

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).optMomentum(0.9f).build();
    }

    private static Optional<FusedOptimizer> fuse(OptimizerFusion mode, Device device) {
        return new FusedOptimizers(mode, LibTorchAmp.get(), DataType.FLOAT16, device).fuse(sgd());
    }

    @Test
    void fp16ParametersFuseOnCudaOnly() {
        Optional<FusedOptimizer> cuda = fuse(OptimizerFusion.AUTO, Device.gpu(0));
        assertTrue(cuda.isPresent());
        assertEquals("fused-sgd", cuda.get().getName());
        assertTrue(fuse(OptimizerFusion.ALWAYS, Device.gpu(0)).isPresent());
        assertFalse(fuse(OptimizerFusion.AUTO, Device.cpu()).isPresent());
        assertFalse(fuse(OptimizerFusion.NEVER, Device.gpu(0)).isPresent());
        UnsupportedPrecisionException refused =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> fuse(OptimizerFusion.ALWAYS, Device.cpu()));
        assertTrue(refused.getMessage().contains("float16 on the CPU"), refused.getMessage());
    }
}

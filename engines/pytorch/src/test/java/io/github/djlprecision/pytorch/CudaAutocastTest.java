package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** LibTorch autocast on CUDA; skipped, with the reason, on a machine without a GPU. */
class CudaAutocastTest {

    @Test
    void autocastComputesInHalfPrecisionOnCuda() throws Exception {
        Assumptions.assumeTrue(
                Engine.getEngine("PyTorch").getGpuCount() > 0, "skipped: no CUDA device here");
        List<String> failures = CudaAutocastProbe.check(Device.gpu());
        assertEquals(List.of(), failures);
    }
}

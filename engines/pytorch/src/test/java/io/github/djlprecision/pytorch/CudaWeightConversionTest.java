package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Weights converted once on CUDA; skipped, with the reason, on a machine without a GPU. */
class CudaWeightConversionTest {

    @Test
    void convertedModelsRunOnCuda() throws Exception {
        Assumptions.assumeTrue(
                Engine.getEngine("PyTorch").getGpuCount() > 0, "skipped: no CUDA device here");
        assertEquals(List.of(), CudaWeightConversionProbe.check(Device.gpu()));
    }
}

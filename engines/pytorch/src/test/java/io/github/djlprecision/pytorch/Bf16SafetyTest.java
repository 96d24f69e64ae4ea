package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** bf16 through DJL can terminate the process; these run in child JVMs and read how they ended. */
class Bf16SafetyTest {

    @Test
    void modelThatWouldAbortIsRefusedWithAClearErrorAndTheJvmExitsNormally() throws Exception {
        ChildJvm.Result result = ChildJvm.run(Bf16Probe.class, "guarded");
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("REFUSED: "), result.output());
        assertTrue(result.output().contains("LambdaBlock 'softmax'"), result.output());
        assertFalse(result.output().contains("terminate called"), result.output());
    }

    @Test
    void everyBlockTheGuardAllowsTrainsUnderBf16() throws Exception {
        ChildJvm.Result result = ChildJvm.run(Bf16Probe.class, "safe-blocks");
        assertEquals(0, result.exitCode(), result.output());
        for (String block : Bf16BlockGuard.SAFE_LAMBDAS) {
            assertTrue(result.output().contains("OK " + block), result.output());
        }
        for (String block : new String[] {"Linear", "BatchNorm", "LayerNorm", "Dropout", "Conv1d", "Conv2d", "Conv3d", "ConvNet"}) {
            assertTrue(result.output().contains("OK " + block), result.output());
        }
        assertTrue(result.output().contains("ALL SAFE"), result.output());
    }

    @Test
    void withoutTheGuardDjlSoftmaxOnBf16KillsTheProcess() throws Exception {
        ChildJvm.Result result = ChildJvm.run(Bf16Probe.class, "unguarded");
        // the reason the guard exists: DJL hands UNKNOWN to native code, which terminates
        assertTrue(result.output().contains("dtype unknown"), result.output());
        assertTrue(result.output().contains("terminate called"), result.output());
        assertFalse(result.output().contains("SURVIVED"), result.output());
        assertNotEquals(0, result.exitCode(), result.output());
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.MemoryFootprint;
import io.github.djlprecision.training.PrecisionTrainer;
import org.junit.jupiter.api.Test;

class MemoryFootprintTest {

    private static MemoryFootprint measure(PrecisionConfig precision, boolean norms) {
        try (Model model = Fixture.model(Fixture.mlp(norms), 7);
                NDManager data = NDManager.newBaseManager(Fixture.CPU, "PyTorch")) {
            Optimizer adam = Fixture.adamForFp16();
            try (PrecisionTrainer trainer = Fixture.trainer(model, precision, adam)) {
                NDList batch = Fixture.regression(data, 1);
                MemoryFootprint footprint =
                        MemoryFootprint.measure(trainer, adam, new NDList(batch.get(0)));
                System.out.println(footprint);
                return footprint;
            }
        }
    }

    @Test
    void parameterMasterAndOptimizerBytesPerPrecision() {
        MemoryFootprint fp32 = measure(PrecisionConfig.of("32-true"), false);
        MemoryFootprint half = measure(PrecisionConfig.of("16-true"), false);
        MemoryFootprint o2 = measure(ApexO2Test.o2(), false);
        MemoryFootprint fp64 = measure(PrecisionConfig.of("64-true"), false);
        long p = fp32.getParameterBytes();
        assertEquals((8 * 32 + 32) + (32 * 32 + 32) + (32 * 2 + 2), p / 4);
        assertEquals(0, fp32.getWorkingCopyBytes());

        assertEquals(p / 2, half.getParameterBytes());
        assertEquals(0, half.getWorkingCopyBytes());
        // O2: fp32 master weights as the parameters, plus fp16 working copies
        assertEquals(p, o2.getParameterBytes());
        assertEquals(p / 2, o2.getWorkingCopyBytes());
        assertEquals(3 * p / 2, o2.getParameterBytes() + o2.getWorkingCopyBytes());
        assertEquals(2 * p, fp64.getParameterBytes());

        // Adam: two state arrays in the type of what it updates (fp32 masters under O2)
        assertEquals(2 * p, fp32.getOptimizerStateBytes());
        assertEquals(p, half.getOptimizerStateBytes());
        assertEquals(2 * p, o2.getOptimizerStateBytes());
        assertEquals(4 * p, fp64.getOptimizerStateBytes());

        assertTrue(fp32.getActivationBytes() > 0);
        assertTrue(half.getActivationBytes() < fp32.getActivationBytes());
        assertTrue(fp64.getActivationBytes() > fp32.getActivationBytes());
    }

    @Test
    void bf16ActivationsCountTwoBytesAnElement() {
        // DJL reads bf16 as UNKNOWN, a type it gives no width: counted naively they would be 0
        MemoryFootprint half = measure(PrecisionConfig.of("16-mixed"), false);
        MemoryFootprint bf16 = measure(PrecisionConfig.of("bf16-mixed"), false);
        assertEquals(half.getActivationBytes(), bf16.getActivationBytes());
    }

    @Test
    void o2KeepsNormParametersInFloat32WithoutWorkingCopies() {
        MemoryFootprint o2 = measure(ApexO2Test.o2(), true);
        long half = 0;
        long norm = 0;
        SequentialBlock block = Fixture.mlp(true);
        try (Model model = Fixture.model(block, 7);
                PrecisionTrainer ignored =
                        Fixture.trainer(model, PrecisionConfig.of("32-true"), Fixture.adam())) {
            for (Pair<String, Parameter> pair : block.getParameters()) {
                long bytes = pair.getValue().getArray().size() * 4;
                if (Fixture.isNormParameter(pair.getKey())) {
                    norm += bytes;
                } else {
                    half += bytes;
                }
            }
        }
        assertEquals(half + norm, o2.getParameterBytes());
        assertEquals(half / 2, o2.getWorkingCopyBytes());
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A parameter that got no gradient in a step (an unused branch or head) trains as under DJL's own
 * trainer, with a zero gradient, on the default fused path too; in a child JVM, because before
 * the fix LibTorch's fused SGD ended the JVM there ("expected scalar type Double but found Float").
 */
class UnusedBranchTest {

    @ParameterizedTest
    @ValueSource(strings = {"64-true", "32-true", "16-mixed", "16-true"})
    void aHeadWithoutGradientTrainsAndStaysUnchanged(String precision) throws Exception {
        ChildJvm.Result child = ChildJvm.run(UnusedBranchChild.class, precision);
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.output().contains("TRAINED"), child.output());
        assertTrue(child.output().contains("USED_CHANGED true"), child.output());
        // plain SGD without weight decay or momentum: a zero gradient moves nothing
        assertTrue(child.output().contains("UNUSED_CHANGED false"), child.output());
        if (precision.equals("64-true")) {
            assertTrue(child.output().contains("optimizer: fused-sgd"), child.output());
        }
    }
}

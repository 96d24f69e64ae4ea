package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

/**
 * Cells in a child JVM: an abort there is a FAIL here, and a cell that runs gives the same checks.
 */
class ChildJvmCellsTest {

    private static MatrixCell cell(String variant) {
        return new MatrixCell("PyTorch", PrecisionVariant.parse(variant), Device.cpu());
    }

    @Test
    void cellThatTerminatesItsJvmFailsAndTheNextCellsRun() {
        CompatMatrix matrix =
                CompatMatrix.builder(new HaltsOnFloat16Workload())
                        .optSelection(Selection.parse("PyTorch", "16-mixed,16-mixed/O1", "cpu"))
                        .optChildJvm(c -> !c.variant().isReference())
                        .build();
        // both fp16 cells run in one child: the first kills it, a new child takes the second
        for (String variant : List.of("16-mixed", "16-mixed/O1")) {
            CellResult halted = matrix.run(cell(variant));
            assertEquals(Verdict.FAIL, halted.verdict(), halted::describe);
            assertTrue(
                    halted.reason()
                            .startsWith(
                                    "unexpected end of the child JVM running this cell: exit"
                                            + " status 134 (SIGABRT: the process aborted)"),
                    halted.reason());
            assertNull(halted.metrics());
        }
        // the reference ran here, unharmed
        CellResult reference = matrix.run(cell("32-true"));
        assertEquals(Verdict.PASS, reference.verdict(), reference::describe);
    }

    @Test
    void cellInAChildJvmIsCheckedAsInThisOne() {
        CellResult here =
                CompatMatrix.builder(new SmallMlpWorkload()).build().run(cell("bf16-mixed"));
        CellResult there =
                CompatMatrix.builder(new SmallMlpWorkload())
                        .optSelection(Selection.parse("PyTorch", "bf16-mixed", "cpu"))
                        .optChildJvm(c -> c.variant().precision().isBfloat16())
                        .build()
                        .run(cell("bf16-mixed"));
        assertEquals(Verdict.PASS, there.verdict(), there::describe);
        assertEquals(here.checks(), there.checks());
        assertEquals(here.metrics().finalLoss(), there.metrics().finalLoss());
        assertEquals(here.metrics().layers(), there.metrics().layers());
        // the comparisons with 32-true ran in this JVM, on the child's measurements
        assertTrue(
                there.checks().stream()
                        .map(Check::name)
                        .toList()
                        .containsAll(
                                Set.of(
                                        "final loss within 0.06 of 32-true",
                                        "parameter memory vs 32-true")),
                there::describe);
    }

    @Test
    void refusedCellNeedsNoChild() {
        CellResult refused =
                CompatMatrix.builder(new SmallMlpWorkload())
                        .optSelection(Selection.parse("PyTorch", "bf16-true", "cpu"))
                        .optChildJvm(c -> true)
                        .build()
                        .run(cell("bf16-true"));
        assertEquals(Verdict.UNSUPPORTED, refused.verdict(), refused::describe);
    }

    @Test
    void workloadThatCannotBeRebuiltIsRefusedWhenTheMatrixIsBuilt() {
        IllegalArgumentException error =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> CompatMatrix.builder(MlpWorkload.small()).optChildJvm(c -> true));
        assertTrue(
                error.getMessage().contains("public constructor taking its name"),
                error.getMessage());
    }
}

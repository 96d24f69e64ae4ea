package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;

import io.github.djlprecision.compat.report.CompatReport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
                                    "unexpected end of the child JVM running this cell: SIGABRT"
                                            + " (from the exit status); exit status 134"),
                    halted.reason());
            assertNull(halted.metrics());
        }
        // the reference ran here, unharmed
        CellResult reference = matrix.run(cell("32-true"));
        assertEquals(Verdict.PASS, reference.verdict(), reference::describe);
    }

    @Test
    void cellKilledByARealSignalNamesSignalFrameAndReportAndTheReportIsWritten(@TempDir Path dir)
            throws Exception {
        CompatMatrix matrix =
                CompatMatrix.builder(new MisbehavesOnFloat16Workload(MisbehavesOnFloat16Workload.SIGFPE))
                        .optSelection(Selection.parse("PyTorch", "32-true,16-mixed,16-mixed/O1", "cpu"))
                        .optChildJvm(c -> true)
                        .build();
        MatrixResult result = matrix.runAll();
        CellResult died = matrix.run(cell("16-mixed"));
        assertEquals(Verdict.FAIL, died.verdict(), died::describe);
        assertTrue(died.reason().contains(": SIGFPE (0x8) in C  ["), died.reason());
        assertTrue(died.reason().contains("; exit status 134; fatal error report "), died.reason());
        assertTrue(died.reason().contains("; host: CPU "), died.reason());
        Matcher report = Pattern.compile("fatal error report (\\S+);").matcher(died.reason());
        assertTrue(report.find(), died.reason());
        assertTrue(Files.isRegularFile(Path.of(report.group(1))), report.group(1));
        // a fresh child took the next cell, and the reference ran unharmed
        CellResult next = matrix.run(cell("16-mixed/O1"));
        assertTrue(next.reason().contains("SIGFPE (0x8)"), next::describe);
        assertEquals(Verdict.PASS, matrix.run(cell("32-true")).verdict());
        Path html = CompatReport.write(result, dir);
        assertTrue(Files.isRegularFile(html));
        String markdown = Files.readString(dir.resolve(CompatReport.MARKDOWN));
        assertTrue(markdown.contains("SIGFPE (0x8) in C  ["), markdown);
        assertTrue(markdown.contains("16-mixed/O1"), markdown);
    }

    @Test
    void hungCellIsKilledAtItsTimeoutAndFails() {
        CompatMatrix matrix =
                CompatMatrix.builder(new MisbehavesOnFloat16Workload(MisbehavesOnFloat16Workload.HANGS))
                        .optSelection(Selection.parse("PyTorch", "16-mixed", "cpu"))
                        .optChildJvm(c -> !c.variant().isReference())
                        .optChildJvmTimeout(Duration.ofSeconds(20))
                        .build();
        CellResult hung = matrix.run(cell("16-mixed"));
        assertEquals(Verdict.FAIL, hung.verdict(), hung::describe);
        assertTrue(
                hung.reason().contains("it ran past its timeout of 20 s per cell and was killed"),
                hung.reason());
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

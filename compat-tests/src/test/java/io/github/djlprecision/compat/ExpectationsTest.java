package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.List;
import java.util.regex.Pattern;

class ExpectationsTest {

    @Test
    void bundledTableHasARowForEveryPrecisionAndApexLevelOnEveryPyTorchDevice() {
        Expectations table = Expectations.bundled();
        for (Device device : List.of(Device.cpu(), Device.gpu(0))) {
            for (PrecisionVariant variant : PrecisionVariant.all()) {
                MatrixCell cell = new MatrixCell("PyTorch", variant, device);
                Expectations.Expectation row =
                        table.get(cell).orElseThrow(() -> new AssertionError(cell.id()));
                // only bf16-true is refused: DJL cannot hold bf16 parameters
                boolean refused = variant.label().equals("bf16-true");
                assertEquals(
                        refused ? Verdict.UNSUPPORTED : Verdict.PASS, row.verdict(), cell.id());
            }
        }
        assertEquals(40, table.size());
    }

    @Test
    void bundledTableHasTensorFlowRowsWhereOnlyFp32AndTheMixedRewritesPass() {
        Expectations table = Expectations.bundled();
        for (String deviceType : List.of("cpu", "gpu")) {
            Device device = deviceType.equals("cpu") ? Device.cpu() : Device.gpu(0);
            for (PrecisionVariant variant : PrecisionVariant.all()) {
                MatrixCell cell = new MatrixCell("TensorFlow", variant, device);
                Expectations.Expectation row =
                        table.get(cell).orElseThrow(() -> new AssertionError(cell.id()));
                // bf16's rewrite converts CPU ops, fp16's runs on GPUs; no other path exists
                boolean passes =
                        variant.label().equals("32-true")
                                || variant.label()
                                        .equals(
                                                deviceType.equals("cpu")
                                                        ? "bf16-mixed"
                                                        : "16-mixed");
                assertEquals(passes ? Verdict.PASS : Verdict.UNSUPPORTED, row.verdict(), cell.id());
            }
        }
    }

    @Test
    void everyCellIsSelectedOnThisMachine() {
        List<MatrixCell> cells = CompatMatrix.builder(MlpWorkload.small()).build().cells();
        for (String engine : CompatMatrix.computeEngines()) {
            for (PrecisionVariant variant : PrecisionVariant.all()) {
                assertTrue(
                        cells.contains(new MatrixCell(engine, variant, Device.cpu())),
                        engine + " " + variant);
            }
        }
        assertEquals(List.of("PyTorch", "TensorFlow"), CompatMatrix.computeEngines());
        // DJL's RPC engine forwards to a server: it is named as left out, not silently dropped
        assertTrue(
                CompatMatrix.excludedEngines().containsKey("RPC"),
                CompatMatrix.excludedEngines().toString());
    }

    @Test
    void selectionPicksASubset() {
        Selection selection = Selection.parse("pytorch", "16-mixed, 16-mixed/O2", "cpu");
        List<MatrixCell> cells =
                CompatMatrix.builder(MlpWorkload.small()).optSelection(selection).build().cells();
        assertEquals(
                List.of("PyTorch / 16-mixed / cpu()", "PyTorch / 16-mixed/O2 / cpu()"),
                cells.stream().map(MatrixCell::id).toList());
        assertThrows(
                IllegalArgumentException.class, () -> Selection.parse("all", "17-true", "all"));
    }

    @Test
    void malformedRowsNameTheirLine() {
        assertRejected(
                "PyTorch 16-mixed cpu FAIL", "line 2", "a FAIL row (a known failure) the pattern");
        assertRejected(
                "PyTorch 16-true cpu UNSUPPORTED",
                "line 2",
                "needs the pattern of its designed error");
        assertRejected("PyTorch 16-mixed cpu PASS but why", "line 2", "a PASS row has none");
        assertRejected("PyTorch 16-true cpu UNSUPPORTED (unclosed", "line 2", "Unclosed group");
        assertRejected("PyTorch 17-true cpu PASS", "line 2", "Unknown precision '17-true'");
        assertRejected(
                "PyTorch 32-true cpu", "line 2", "expected engine, precision, device, verdict");
        assertRejected("PyTorch 16-mixed/O4 cpu PASS", "line 2", "Unknown amp_level 'O4'");
        assertRejected(
                "PyTorch 32-true  cpu PASS", "line 2", "duplicate row for PyTorch 32-true cpu");
    }

    private static void assertRejected(String row, String... parts) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Expectations.parse(
                                        new StringReader(
                                                "PyTorch 32-true cpu PASS\n" + row + "\n")));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
    }

    @Test
    void withReplacesOneRow() throws Exception {
        Expectations table = Expectations.parse(new StringReader("PyTorch bf16-mixed cpu PASS\n"));
        MatrixCell cell =
                new MatrixCell("PyTorch", PrecisionVariant.parse("bf16-mixed"), Device.cpu());
        Expectations changed =
                table.with(
                        "PyTorch",
                        "bf16-mixed",
                        "cpu",
                        new Expectations.Expectation(
                                Verdict.UNSUPPORTED, Pattern.compile("guard")));
        assertEquals(Verdict.PASS, table.get(cell).orElseThrow().verdict());
        assertEquals(Verdict.UNSUPPORTED, changed.get(cell).orElseThrow().verdict());
    }
}

package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlprecision.compat.report.CompatReport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The report command's exit status, as CI sees it. Refused cells need no training: fast. */
class CompatReportMainTest {

    private static final String REFUSED = "--precisions=bf16-true";

    private static int run(StringBuilder output, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status =
                CompatReportMain.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        output.append(bytes.toString(StandardCharsets.UTF_8));
        return status;
    }

    @Test
    void exitsZeroWhenEveryCellIsAsExpected(@TempDir Path dir) {
        StringBuilder out = new StringBuilder();
        assertEquals(0, run(out, REFUSED, "--devices=cpu", "--out=" + dir), out.toString());
        // one cell per engine: PyTorch's and TensorFlow's refusals, each with its own reason
        assertTrue(out.toString().contains("0 PASS, 2 UNSUPPORTED, 0 FAIL"), out.toString());
        assertTrue(
                out.toString().contains("UNSUPPORTED  TensorFlow / bf16-true / cpu(): Precision"),
                out.toString());
        assertTrue(Files.exists(dir.resolve(CompatReport.MARKDOWN)));
        assertTrue(Files.exists(dir.resolve(CompatReport.HTML)));
    }

    @Test
    void exitsOneWhenACellFails(@TempDir Path dir) throws IOException {
        Path table = dir.resolve("expectations.tsv");
        // a table that claims bf16-true already works: the refusal is now a FAIL
        Files.writeString(table, "PyTorch bf16-true cpu PASS\n");
        StringBuilder out = new StringBuilder();
        assertEquals(
                1,
                run(
                        out,
                        "--engines=PyTorch",
                        "--precisions=bf16-true",
                        "--devices=cpu",
                        "--expectations=" + table,
                        "--out=" + dir));
        assertTrue(
                out.toString()
                        .contains(
                                "FAIL         PyTorch / bf16-true / cpu(): expected PASS, but"
                                    + " refused"),
                out.toString());
        assertTrue(
                Files.readString(dir.resolve(CompatReport.MARKDOWN))
                        .contains("**0 PASS, 0 UNSUPPORTED, 1 FAIL**"));
    }

    @Test
    void exitsTwoForBadArguments() {
        StringBuilder out = new StringBuilder();
        assertEquals(2, run(out, "--precisions=17-true"));
        assertTrue(out.toString().contains("Unknown precision '17-true'"), out.toString());
        assertEquals(2, run(out, "16-mixed"));
        assertEquals(2, run(out, "--engines=NoSuchEngine"));
        assertTrue(
                out.toString().contains("The selection matches no cell on this machine."),
                out.toString());
    }
}

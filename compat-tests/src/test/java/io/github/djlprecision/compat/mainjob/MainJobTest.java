package io.github.djlprecision.compat.mainjob;

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
import java.util.List;

/** The main job's exit status and output, as CI sees them. Refused cells need no training: fast. */
class MainJobTest {

    private static final String REFUSED = "--precisions=bf16-true";

    private static int run(StringBuilder output, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = MainJob.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        output.append(bytes.toString(StandardCharsets.UTF_8));
        return status;
    }

    @Test
    void exitsZeroWhenEveryCellIsAsExpected(@TempDir Path dir) {
        StringBuilder out = new StringBuilder();
        assertEquals(
                0,
                run(out, REFUSED, "--devices=cpu", "--architectures=lenet,lstm", "--out=" + dir),
                out.toString());
        // a section line each: both digits models, TensorFlow's refusal, two architectures
        for (String section :
                List.of(
                        "digits-cnn        1 cells: 0 PASS, 1 UNSUPPORTED",
                        "digits-mlp        1 cells: 0 PASS, 1 UNSUPPORTED",
                        "tensorflow        1 cells: 0 PASS, 1 UNSUPPORTED",
                        "architectures     2 cells: 0 PASS, 2 UNSUPPORTED")) {
            assertTrue(out.toString().contains(section), out.toString());
        }
        assertTrue(out.toString().endsWith("0 PASS, 5 UNSUPPORTED, 0 FAIL\n"), out.toString());
        assertTrue(Files.exists(dir.resolve(CompatReport.MARKDOWN)));
        assertTrue(Files.exists(dir.resolve(CompatReport.HTML)));
        // a log gets a few lines, not one per step or percent
        assertTrue(out.toString().lines().count() < 20, out.toString());
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
                        REFUSED,
                        "--devices=cpu",
                        "--architectures=none",
                        "--expectations=" + table,
                        "--out=" + dir));
        assertTrue(
                out.toString()
                        .contains(
                                "FAIL digits-cnn PyTorch / bf16-true / cpu(): expected PASS, but"
                                        + " refused"),
                out.toString());
        assertTrue(
                Files.readString(dir.resolve(CompatReport.MARKDOWN))
                        .contains("**0 PASS, 0 UNSUPPORTED, 2 FAIL**"));
    }

    @Test
    void exitsTwoForBadArguments() {
        StringBuilder out = new StringBuilder();
        assertEquals(2, run(out, "--precisions=17-true"));
        assertTrue(out.toString().contains("Unknown precision '17-true'"), out.toString());
        assertEquals(2, run(out, "16-mixed"));
        assertTrue(out.toString().contains("Unmatched argument"), out.toString());
        assertEquals(2, run(out, "--architectures=resnet19"));
        assertTrue(out.toString().contains("Unknown architecture 'resnet19'"), out.toString());
        assertEquals(2, run(out, "--engines=NoSuchEngine", "--architectures=none"));
        assertTrue(
                out.toString().contains("The selection matches no cell on this machine."),
                out.toString());
    }
}

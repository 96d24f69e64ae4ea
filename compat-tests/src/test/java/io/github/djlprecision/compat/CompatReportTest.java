package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;

import io.github.djlprecision.compat.report.CompatReport;
import io.github.djlprecision.compat.report.ReportContents;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

/** The report from known results: what each file must show. */
public class CompatReportTest {

    private static CellMetrics metrics(
            double finalLoss, float[] scales, boolean[] skipped, long activationBytes) {
        float[] losses = new float[scales.length];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 1.4f - i * 0.1f;
        }
        return new CellMetrics(
                1.4,
                finalLoss,
                0.30,
                0.9,
                Double.NaN,
                Double.NaN,
                countTrue(skipped),
                scales[scales.length - 1],
                2.5,
                2208,
                activationBytes,
                losses,
                scales,
                skipped,
                List.of(new LayerOutput("01Linear", "Linear", "float16", activationBytes)));
    }

    private static long countTrue(boolean[] values) {
        long count = 0;
        for (boolean value : values) {
            count += value ? 1 : 0;
        }
        return count;
    }

    /**
     * Returns a known result with cells that trained, for report tests in other packages.
     *
     * @return the result
     */
    public static MatrixResult result() {
        float nan = Float.NaN;
        CellResult full =
                new CellResult(
                        cell("32-true"),
                        Verdict.PASS,
                        "",
                        Verdict.PASS,
                        CellMode.TRAINING,
                        "fp32",
                        List.of(new Check("parameter dtypes", true, "6 parameters, [float32]")),
                        metrics(0.30, new float[] {nan, nan, nan, nan}, new boolean[4], 4096),
                        false);
        CellResult half =
                new CellResult(
                        cell("16-mixed"),
                        Verdict.PASS,
                        "",
                        Verdict.PASS,
                        CellMode.TRAINING,
                        "native-autocast(cpu, float16, loss scaling: fused)",
                        List.of(
                                new Check(
                                        "loss scale follows GradScaler's rule",
                                        true,
                                        "from 65536.0 to 32768.0")),
                        metrics(
                                0.31,
                                new float[] {32768f, 32768f, 65536f, 32768f},
                                new boolean[] {true, false, false, true},
                                2048),
                        false);
        CellResult bf16 =
                new CellResult(
                        cell("bf16-mixed"),
                        Verdict.FAIL,
                        "failed checks: <dtype> | mismatch",
                        Verdict.PASS,
                        CellMode.TRAINING,
                        "fp32 claiming bf16-mixed",
                        List.of(
                                new Check(
                                        "Linear/Conv layers compute in bfloat16",
                                        false,
                                        "Linear=float32")),
                        metrics(0.30, new float[] {nan, nan, nan, nan}, new boolean[4], 4096),
                        false);
        CellResult refused =
                new CellResult(
                        cell("16-true"),
                        Verdict.UNSUPPORTED,
                        "Precision '16-true' is not yet supported on the PyTorch engine",
                        Verdict.UNSUPPORTED,
                        null,
                        null,
                        List.of(),
                        null,
                        false);
        return new MatrixResult(
                "synthetic",
                "known results",
                MachineInfo.collect(),
                Selection.all(),
                "training where the engine can",
                Map.of("RPC", "not a compute engine"),
                List.of(full, half, bf16, refused));
    }

    private static MatrixCell cell(String variant) {
        return new MatrixCell("PyTorch", PrecisionVariant.parse(variant), Device.cpu());
    }

    @Test
    void markdownShowsTheMatrixThePerPrecisionTableAndThePlots(@TempDir Path dir)
            throws IOException {
        CompatReport.write(result(), dir);
        String md = Files.readString(dir.resolve(CompatReport.MARKDOWN));
        assertTrue(
                md.contains("| engine | device | 32-true | 16-mixed | bf16-mixed | 16-true |\n"),
                md);
        assertTrue(
                md.contains("| PyTorch | cpu() | PASS | PASS | **FAIL** | **UNSUPPORTED** |\n"),
                md);
        assertTrue(md.contains("**2 PASS, 1 UNSUPPORTED, 1 FAIL**"), md);
        // per precision: final loss, difference to 32-true, accuracy, skipped steps, final scale
        assertTrue(
                md.contains(
                        "| PyTorch | cpu() | 16-mixed | PASS | training | 0.3100 | +0.0100 | 0.900"
                                + " | 2 | 32768 | 2.50 | 2208 | 2048 |"),
                md);
        assertTrue(
                md.contains("failed checks: <dtype> \\| mismatch"),
                "pipes are escaped in Markdown tables");
        assertTrue(
                md.contains("- **FAILED** Linear/Conv layers compute in bfloat16: Linear=float32"),
                md);
        assertTrue(
                md.contains(
                        "![Training loss per step: 32-true, then each precision minus"
                                + " 32-true](loss.png)"),
                md);
        assertTrue(md.contains("![Loss scale per step, skipped steps marked](loss-scale.png)"), md);
        assertTrue(md.contains("**16-bit CPU features**"), md);
        assertTrue(md.contains("**engines not in the matrix**: RPC: not a compute engine"), md);
    }

    @Test
    void htmlIsSelfContainedWithEveryPlotEmbedded(@TempDir Path dir) throws IOException {
        Path html = CompatReport.write(result(), dir);
        String page = Files.readString(html);
        assertEquals(
                3,
                page.split("src=\"data:image/png;base64,", -1).length - 1,
                "loss, loss scale, memory");
        assertFalse(
                page.contains("<script") || page.contains("<link") || page.contains("src=\"http"),
                page);
        assertTrue(
                page.contains(
                        "<td class=\"FAIL\" title=\"failed checks: &lt;dtype&gt; |"
                                + " mismatch\">FAIL</td>"),
                page);
        assertTrue(
                page.contains(
                        "<td class=\"UNSUPPORTED\" title=\"Precision '16-true' is not yet"
                                + " supported"),
                page);
        for (String png : List.of("loss.png", "loss-scale.png", "memory.png")) {
            BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
            assertNotNull(image, png);
            // the loss panels are wider: three small plots side by side
            assertEquals(png.equals("loss.png") ? 1200 : 900, image.getWidth(), png);
        }
    }

    @Test
    void mainJobReportShowsTestAccuracyAndTheArchitectureGridWithKnownFailures(@TempDir Path dir)
            throws IOException {
        float nan = Float.NaN;
        CellMetrics tested =
                new CellMetrics(
                        1.4,
                        0.30,
                        0.30,
                        0.9,
                        0.9694,
                        0.9694,
                        0,
                        nan,
                        2.5,
                        2208,
                        4096,
                        new float[] {1.4f, 1.2f},
                        new float[] {nan, nan},
                        new boolean[2],
                        List.of());
        CellMetrics testedHalf =
                new CellMetrics(
                        1.4,
                        0.31,
                        0.30,
                        0.9,
                        0.9666,
                        0.9694,
                        0,
                        nan,
                        2.5,
                        2208,
                        2048,
                        new float[] {1.4f, 1.3f},
                        new float[] {nan, nan},
                        new boolean[2],
                        List.of());
        Check accuracy =
                new Check("test accuracy within 0.035 of 32-true", true, "0.9666 vs 0.9694");
        MatrixResult digits =
                withResults(
                        "digits-cnn",
                        List.of(
                                new CellResult(
                                        cell("32-true"),
                                        Verdict.PASS,
                                        "",
                                        Verdict.PASS,
                                        CellMode.TRAINING,
                                        "fp32",
                                        List.of(),
                                        tested,
                                        false),
                                new CellResult(
                                        cell("16-mixed"),
                                        Verdict.PASS,
                                        "",
                                        Verdict.PASS,
                                        CellMode.TRAINING,
                                        "autocast",
                                        List.of(accuracy),
                                        testedHalf,
                                        false)));
        MatrixResult lstm =
                withResults(
                        "lstm",
                        List.of(
                                new CellResult(
                                        cell("16-true"),
                                        Verdict.FAIL,
                                        "unexpected EngineException: mat1 and mat2",
                                        Verdict.FAIL,
                                        CellMode.TRAINING,
                                        null,
                                        List.of(),
                                        null,
                                        true)));
        CompatReport.write(
                new ReportContents(
                        "Main job", List.of("Data: digits"), List.of(digits), List.of(lstm)),
                dir);
        String md = Files.readString(dir.resolve(CompatReport.MARKDOWN));
        assertTrue(md.contains("## Test accuracy"), md);
        assertTrue(md.contains("| 16-mixed | 0.9666 | -0.0028 |"), md);
        assertTrue(md.contains("| lstm | cpu() | **FAIL (known)** |"), md);
        assertTrue(md.contains("**2 PASS, 0 UNSUPPORTED, 1 FAIL**"), md);
        String page = Files.readString(dir.resolve(CompatReport.HTML));
        assertTrue(
                page.contains(
                        "<td class=\"KNOWN\" title=\"known failure: unexpected EngineException"),
                page);
        assertTrue(Files.exists(dir.resolve("digits-cnn-loss.png")));
    }

    private static MatrixResult withResults(String name, List<CellResult> results) {
        MatrixResult all = result();
        return new MatrixResult(
                name,
                name + " description",
                all.machine(),
                all.selection(),
                all.settings(),
                all.excludedEngines(),
                results);
    }

    @Test
    void noPlotsWithoutCellsThatRan(@TempDir Path dir) throws IOException {
        MatrixResult all = result();
        MatrixResult refusedOnly =
                new MatrixResult(
                        all.workloadName(),
                        all.workloadDescription(),
                        all.machine(),
                        all.selection(),
                        all.settings(),
                        all.excludedEngines(),
                        List.of(all.results().get(3)));
        CompatReport.write(refusedOnly, dir);
        assertFalse(Files.exists(dir.resolve("loss.png")));
        assertFalse(Files.readString(dir.resolve(CompatReport.MARKDOWN)).contains("!["));
    }
}

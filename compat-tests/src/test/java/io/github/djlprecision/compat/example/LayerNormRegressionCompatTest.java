package io.github.djlprecision.compat.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlprecision.compat.AbstractCompatMatrixTest;
import io.github.djlprecision.compat.CompatMatrix;
import io.github.djlprecision.compat.CompatWorkload;
import io.github.djlprecision.compat.MatrixResult;
import io.github.djlprecision.compat.Verdict;
import io.github.djlprecision.compat.report.CompatReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a team runs the matrix against its own model: subclass {@link AbstractCompatMatrixTest}, hand
 * it a workload, pick tolerances. Every engine x precision x device cell becomes a test, and the
 * class writes its own report to {@code target/compat-report/junit/layernorm-regression}.
 */
class LayerNormRegressionCompatTest extends AbstractCompatMatrixTest {

    @Override
    protected CompatWorkload workload() {
        return new LayerNormRegressionWorkload();
    }

    @Override
    protected CompatMatrix.Builder configure(CompatMatrix.Builder matrix) {
        // this team accepts a looser bf16 result on its regression target
        return matrix.optLossTolerance("bf16-mixed", 0.08);
    }

    @Override
    protected void onReport(MatrixResult result, Path html) throws IOException {
        assertEquals("layernorm-regression", result.workloadName());
        Path folder = html.getParent();
        assertTrue(
                Files.readString(folder.resolve(CompatReport.MARKDOWN))
                        .contains("# Compatibility report: layernorm-regression"));
        if (result.count(Verdict.PASS) > 0) {
            assertTrue(Files.size(folder.resolve("loss.png")) > 0);
        }
    }
}

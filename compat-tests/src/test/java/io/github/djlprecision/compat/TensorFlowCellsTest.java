package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * TensorFlow as an engine of the matrix: inference cells on a SavedModel, bf16-mixed proven from
 * the outputs and the executed graph, every other request refused with the provider's reason.
 */
class TensorFlowCellsTest {

    private static final CompatMatrix MATRIX =
            CompatMatrix.builder(new MlpWorkload(128, 32, 2, 16)).build();

    private static CellResult run(String variant) {
        return MATRIX.run(
                new MatrixCell("TensorFlow", PrecisionVariant.parse(variant), Device.cpu()));
    }

    private static Map<String, Check> checks(CellResult result) {
        return result.checks().stream().collect(Collectors.toMap(Check::name, c -> c));
    }

    @Test
    void fp32CellRunsTheSavedModelAsExported() {
        CellResult result = run("32-true");
        assertEquals(Verdict.PASS, result.verdict(), result::describe);
        assertEquals(CellMode.INFERENCE, result.mode());
        assertEquals(
                List.of(
                        "training refused",
                        "verify(): 32-true in effect",
                        "outputs are float32 in DJL",
                        "outputs match float64 within 1e-5 (1 + |y|)"),
                result.checks().stream().map(Check::name).toList(),
                result::describe);
        assertTrue(
                result.path().startsWith("tensorflow 32-true on ")
                        && result.path().contains("device:CPU:0"),
                result.path());
        // mean squared error to the float64 reference: fp32 rounding only
        assertTrue(result.metrics().finalLoss() < 1e-10, result::describe);
    }

    @Test
    void bf16MixedCellIsBf16RoundedAndCloseToFp32() {
        CellResult result = run("bf16-mixed");
        assertEquals(Verdict.PASS, result.verdict(), result::describe);
        Map<String, Check> checks = checks(result);
        assertTrue(checks.containsKey("outputs bf16-exact"), result::describe);
        assertTrue(
                checks.containsKey(
                        "outputs within "
                                + TensorFlowCells.OUTPUT_TOLERANCE
                                + " x max|y| of 32-true"),
                result::describe);
        // the report of what TensorFlow executed, not the configuration
        assertTrue(
                result.path().startsWith("tensorflow bf16-mixed on ")
                        && result.path().contains("device:CPU:0"),
                result.path());
        assertTrue(
                checks.get("verify(): bf16-mixed in effect").detail().contains("bfloat16"),
                result::describe);
        // bf16 rounding is visible, far above fp32's and far below the tolerance
        double error = result.metrics().finalLoss();
        assertTrue(error > 1e-8 && error < 1e-3, result::describe);
        assertEquals(result.metrics().referenceLoss(), run("32-true").metrics().finalLoss());
    }

    @Test
    void everyOtherRequestIsRefusedWithTheProvidersReasonAndTrainingToo() {
        for (String variant :
                List.of(
                        "16-mixed",
                        "16-true",
                        "bf16-true",
                        "64-true",
                        "16-mixed/O0",
                        "16-mixed/O1",
                        "16-mixed/O2",
                        "16-mixed/O3")) {
            CellResult result = run(variant);
            assertEquals(Verdict.UNSUPPORTED, result.verdict(), result::describe);
            assertEquals(Verdict.UNSUPPORTED, result.expected());
            Check training = checks(result).get("training refused");
            assertNotNull(training, result::describe);
            assertTrue(training.passed(), result::describe);
            String precision = PrecisionVariant.parse(variant).precision().toString();
            assertTrue(
                    training.detail()
                            .startsWith(
                                    "Cannot train in '" + precision + "' on the TensorFlow engine"),
                    training.detail());
        }
        assertTrue(
                run("bf16-true").reason().contains("Use 'bf16-mixed'"), run("bf16-true").reason());
    }

    @Test
    void tensorFlowOnTheClassPathLeavesPyTorchTheDefaultEngine() {
        // DJL picks the engine of lowest rank: PyTorch (2) before TensorFlow (3)
        assertEquals("PyTorch", Engine.getDefaultEngineName());
        assertEquals(0, Engine.getEngine("TensorFlow").getGpuCount());
    }
}

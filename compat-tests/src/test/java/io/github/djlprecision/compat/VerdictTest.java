package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Dataset;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The matrix's judgement: each way a cell can go wrong ends in FAIL, and says why. */
class VerdictTest {

    /** 4 batches x 2 epochs: enough steps to check every invariant, in well under a second. */
    private static final MlpWorkload TINY = new MlpWorkload(128, 32, 2, 16);

    private static final MatrixCell BF16_MIXED = cell("bf16-mixed");
    private static final MatrixCell HALF_MIXED = cell("16-mixed");

    /** Still refused on PyTorch (DJL cannot hold bf16 parameters): the example of a refusal. */
    private static final MatrixCell BF16_TRUE = cell("bf16-true");

    private static MatrixCell cell(String variant) {
        return new MatrixCell("PyTorch", PrecisionVariant.parse(variant), Device.cpu());
    }

    private static Set<String> failedCheckNames(CellResult result) {
        return result.failedChecks().stream().map(Check::name).collect(Collectors.toSet());
    }

    @Test
    void passingCellsSatisfyEveryInvariant() {
        CompatMatrix matrix = CompatMatrix.builder(TINY).build();
        CellResult half = matrix.run(HALF_MIXED);
        assertEquals(Verdict.PASS, half.verdict(), half::describe);
        Set<String> checked = half.checks().stream().map(Check::name).collect(Collectors.toSet());
        // 16-mixed is held to dtypes, loss, memory and the scaler's behaviour, not only to "it ran"
        assertTrue(
                checked.containsAll(
                        List.of(
                                "parameter dtypes",
                                "gradient dtypes",
                                "Linear/Conv layers compute in float16",
                                "outputs reach the loss as [float32]",
                                "loss decreases",
                                "loss scale follows GradScaler's rule",
                                "an inf input skips the step",
                                "final loss within 0.05 of 32-true",
                                "activation memory vs 32-true",
                                "parameter memory vs 32-true")),
                checked.toString());
        // every Linear and ReLU output is fp16: exactly half the activation bytes of 32-true
        CellMetrics reference = matrix.run(cell("32-true")).metrics();
        assertEquals(reference.activationBytes(), 2 * half.metrics().activationBytes());
        assertEquals(reference.parameterBytes(), half.metrics().parameterBytes());
        assertTrue(
                half.metrics().layers().stream().allMatch(l -> l.dataType().equals("float16")),
                half.metrics().layers().toString());

        CellResult bf16 = matrix.run(BF16_MIXED);
        assertEquals(Verdict.PASS, bf16.verdict(), bf16::describe);
        // DJL reads bf16 as UNKNOWN: the values prove it, and the report says so
        assertTrue(
                bf16.metrics()
                        .layers()
                        .get(0)
                        .dataType()
                        .equals("bfloat16 (DJL: unknown, values bf16-exact)"),
                bf16.metrics().layers().toString());
        assertEquals(0, bf16.metrics().skippedSteps());
        assertTrue(Double.isNaN(bf16.metrics().finalLossScale()));
    }

    @Test
    void pluginThatClaimsHalfPrecisionButRunsFp32Fails() {
        CompatMatrix matrix =
                CompatMatrix.builder(TINY).optPluginName(DisguisedFp32Provider.NAME).build();

        CellResult bf16 = matrix.run(BF16_MIXED);
        assertEquals(Verdict.FAIL, bf16.verdict(), bf16::describe);
        assertEquals(
                Set.of("Linear/Conv layers compute in bfloat16", "activation memory vs 32-true"),
                failedCheckNames(bf16),
                bf16::describe);

        CellResult half = matrix.run(HALF_MIXED);
        assertEquals(Verdict.FAIL, half.verdict(), half::describe);
        assertTrue(
                failedCheckNames(half)
                        .containsAll(
                                List.of(
                                        "Linear/Conv layers compute in float16",
                                        "loss scale follows GradScaler's rule",
                                        "an inf input skips the step")),
                half::describe);
        assertTrue(half.reason().startsWith("failed checks: "), half.reason());
    }

    @Test
    void bf16OutputsThatWouldReachTheLossFailWithoutAbortingTheJvm() {
        CompatMatrix matrix =
                CompatMatrix.builder(TINY).optPluginName(LeakyBf16Provider.NAME).build();
        CellResult result = matrix.run(BF16_MIXED);
        assertEquals(Verdict.FAIL, result.verdict(), result::describe);
        Check output = result.failedChecks().get(0);
        assertEquals("outputs reach the loss as [float32]", output.name());
        assertEquals(
                "bfloat16 (DJL: unknown, values bf16-exact): DJL cannot name it, no loss computed",
                output.detail());
        // the layers did run in bf16: the probe proved it from the values, before stopping
        assertTrue(
                result.checks().stream()
                        .anyMatch(
                                c ->
                                        c.passed()
                                                && c.name()
                                                        .equals(
                                                                "Linear/Conv layers compute in"
                                                                        + " bfloat16")),
                result::describe);
        assertNull(result.metrics());
    }

    @Test
    void cellThatPassesWhereTheTableSaysUnsupportedFails() throws IOException {
        Expectations table =
                Expectations.bundled()
                        .with(
                                "PyTorch",
                                "bf16-mixed",
                                "cpu",
                                new Expectations.Expectation(
                                        Verdict.UNSUPPORTED, Pattern.compile("not yet supported")));
        CellResult result =
                CompatMatrix.builder(TINY).optExpectations(table).build().run(BF16_MIXED);
        assertEquals(Verdict.FAIL, result.verdict());
        assertTrue(result.failedChecks().isEmpty(), result::describe);
        assertTrue(
                result.reason()
                        .contains("the expectation table says UNSUPPORTED: set its row to PASS"),
                result.reason());
    }

    @Test
    void refusalWithoutTheDesignedMessageFails() {
        Expectations table =
                Expectations.bundled()
                        .with(
                                "PyTorch",
                                "bf16-true",
                                "cpu",
                                new Expectations.Expectation(
                                        Verdict.UNSUPPORTED, Pattern.compile("needs a GPU")));
        CellResult result =
                CompatMatrix.builder(TINY).optExpectations(table).build().run(BF16_TRUE);
        assertEquals(Verdict.FAIL, result.verdict());
        assertTrue(
                result.reason()
                        .startsWith(
                                "refused, but not with the designed error: expected /needs a GPU/,"
                                        + " got: bf16-true is not supported on DJL's PyTorch"
                                        + " engine"),
                result.reason());
        assertNull(result.metrics());
    }

    @Test
    void refusalWhereTheTableSaysPassFails() {
        Expectations table =
                Expectations.bundled()
                        .with(
                                "PyTorch",
                                "bf16-true",
                                "cpu",
                                new Expectations.Expectation(Verdict.PASS, null));
        CellResult result =
                CompatMatrix.builder(TINY).optExpectations(table).build().run(BF16_TRUE);
        assertEquals(Verdict.FAIL, result.verdict());
        assertTrue(
                result.reason()
                        .startsWith("expected PASS, but refused: bf16-true is not supported"),
                result.reason());
    }

    @Test
    void cellWithoutARowFails() throws IOException {
        Expectations empty = Expectations.parse(new StringReader("# no rows\n"));
        CompatMatrix matrix = CompatMatrix.builder(TINY).optExpectations(empty).build();
        CellResult refused = matrix.run(BF16_TRUE);
        assertEquals(Verdict.FAIL, refused.verdict());
        assertTrue(
                refused.reason().startsWith("no expectation for this cell; refused:"),
                refused.reason());
        assertNull(refused.expected());
    }

    @Test
    void lossOutsideTheToleranceFails() {
        CellResult result =
                CompatMatrix.builder(TINY).optLossTolerance("16-mixed", 0).build().run(HALF_MIXED);
        assertEquals(Verdict.FAIL, result.verdict(), result::describe);
        assertEquals(
                Set.of("final loss within 0.0 of 32-true"),
                failedCheckNames(result),
                result::describe);
    }

    @Test
    void knownFailureStaysFailButIsMarkedKnownOnlyWhileItFailsAsListed() {
        Expectations known =
                Expectations.bundled()
                        .with(
                                "PyTorch",
                                "16-mixed",
                                "cpu",
                                new Expectations.Expectation(
                                        Verdict.FAIL, Pattern.compile("final loss within 0.0 ")));
        CellResult listed =
                CompatMatrix.builder(TINY)
                        .optExpectations(known)
                        .optLossTolerance("16-mixed", 0)
                        .build()
                        .run(HALF_MIXED);
        assertEquals(Verdict.FAIL, listed.verdict(), listed::describe);
        assertTrue(listed.knownFailure(), listed::describe);

        CellResult fixed =
                CompatMatrix.builder(TINY).optExpectations(known).build().run(HALF_MIXED);
        assertEquals(Verdict.FAIL, fixed.verdict(), fixed::describe);
        assertFalse(fixed.knownFailure());
        assertTrue(
                fixed.reason().endsWith("lists a known failure: set its row to PASS"),
                fixed.reason());

        Expectations otherReason =
                known.with(
                        "PyTorch",
                        "16-mixed",
                        "cpu",
                        new Expectations.Expectation(Verdict.FAIL, Pattern.compile("NaN")));
        CellResult different =
                CompatMatrix.builder(TINY)
                        .optExpectations(otherReason)
                        .optLossTolerance("16-mixed", 0)
                        .build()
                        .run(HALF_MIXED);
        assertFalse(different.knownFailure());
        assertTrue(
                different.reason().startsWith("failed, but not as the table's known failure /NaN/"),
                different.reason());
    }

    @Test
    void aUserSoftmaxLambdaRunsAsAnFp32IslandAndTheBf16CellPasses() {
        CompatWorkload withSoftmax =
                new CompatWorkload() {
                    @Override
                    public String name() {
                        return "mlp-softmax";
                    }

                    @Override
                    public Model newModel(String engine, Device device) {
                        Model model = TINY.newModel(engine, device);
                        // softmax passes the input's dtype to native code: under bf16 that aborts
                        // the JVM
                        ((SequentialBlock) model.getBlock())
                                .add(
                                        new LambdaBlock(
                                                list -> new NDList(list.head().softmax(-1)),
                                                "softmax"));
                        return model;
                    }

                    @Override
                    public Shape[] inputShapes() {
                        return TINY.inputShapes();
                    }

                    @Override
                    public TrainingConfig trainingConfig(Device device) {
                        return TINY.trainingConfig(device);
                    }

                    @Override
                    public Dataset trainingSet(NDManager manager) {
                        return TINY.trainingSet(manager);
                    }
                };
        // softmax passes the input's dtype to native code: the engine runs the user's lambda in
        // fp32, the rest in bf16, and says so in its path
        CellResult result = CompatMatrix.builder(withSoftmax).build().run(BF16_MIXED);
        assertEquals(Verdict.PASS, result.verdict(), result::describe);
        assertTrue(result.path().contains("fp32 islands: 06LambdaBlock"), result::describe);
    }

    @Test
    void inferenceOnlyCellsCheckDtypesAndLossWithoutTraining() {
        CompatMatrix matrix = CompatMatrix.builder(TINY).optInferenceOnly(true).build();
        // the true modes create their parameters in their own type: the workload's initializer
        // gives them fp32's starting weights, rounded, so their loss is comparable too
        Map<String, Double> rounding =
                Map.of("16-mixed", 0.01, "bf16-mixed", 0.01, "16-true", 0.01, "64-true", 1e-5);
        for (Map.Entry<String, Double> entry : rounding.entrySet()) {
            CellResult result = matrix.run(cell(entry.getKey()));
            assertEquals(Verdict.PASS, result.verdict(), result::describe);
            assertEquals(CellMode.INFERENCE, result.mode());
            assertNotNull(result.metrics());
            assertEquals(0, result.metrics().losses().length);
            // untrained weights, same seed: the outputs differ from fp32 by rounding only
            assertEquals(
                    result.metrics().referenceLoss(),
                    result.metrics().finalLoss(),
                    entry.getValue(),
                    result::describe);
        }
        CellResult refused = matrix.run(BF16_TRUE);
        assertEquals(Verdict.UNSUPPORTED, refused.verdict(), refused::describe);
    }
}

package io.github.djlprecision.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.Precision;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bf16 through TensorFlow's oneDNN rewrite, run through DJL's predictor, compared with the same
 * model in fp32. This class runs in its own JVM (surefire reuseForks=false): the plugins are built
 * before anything loads TensorFlow, as a user must.
 */
class Bf16InferenceTest {

    /** bfloat16 keeps 8 significand bits: round-to-nearest errs by at most 2^-9 relative. */
    private static final double BF16_UNIT_ROUNDOFF = 0x1p-9;

    @TempDir static Path tmp;

    private static TensorFlowLoadOptions fp32;
    private static TensorFlowLoadOptions bf16;
    private static Path dense;
    private static float[] fp32Out;
    private static float[] bf16Out;
    private static DataType bf16OutType;

    @BeforeAll
    static void runBothPrecisions() throws Exception {
        // built first: bf16's build() must set TF_ENABLE_ONEDNN_OPTS before TensorFlow loads
        bf16 = TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-mixed")).build();
        fp32 = TensorFlowLoadOptions.builder(PrecisionConfig.of("32-true")).build();
        dense = TinySavedModels.export(tmp.resolve("dense"), 1, TinySavedModels.Variant.PLAIN);
        try (NDManager manager = NDManager.newBaseManager("TensorFlow")) {
            NDArray x = TinySavedModels.input(manager);
            try (ZooModel<NDList, NDList> model = TinySavedModels.load(dense, fp32);
                    Predictor<NDList, NDList> predictor = model.newPredictor()) {
                fp32Out = predictor.predict(new NDList(x)).head().toFloatArray();
            }
            try (ZooModel<NDList, NDList> model = TinySavedModels.load(dense, bf16);
                    Predictor<NDList, NDList> predictor = model.newPredictor()) {
                NDArray y = predictor.predict(new NDList(x)).head();
                bf16OutType = y.getDataType();
                bf16Out = y.toFloatArray();
            }
        }
    }

    @Test
    void buildSetsOneDnnSwitchInTheProcessEnvironment() {
        assertEquals("1", ProcessEnvironment.get(TensorFlowLoadOptions.ONEDNN_OPTS));
    }

    @Test
    void buildQuietsTensorFlowsInfoLogUnlessTheEnvironmentChoseALevel() {
        String atJvmStart = System.getenv(TensorFlowLoadOptions.LOG_LEVEL);
        assertEquals(
                atJvmStart == null ? "1" : atJvmStart,
                ProcessEnvironment.get(TensorFlowLoadOptions.LOG_LEVEL));
    }

    @Test
    void fp32MatchesTheDoublePrecisionReference() {
        double[][] ref = reference();
        for (int r = 0; r < TinySavedModels.BATCH; r++) {
            for (int j = 0; j < TinySavedModels.UNITS; j++) {
                double expected = ref[r][j];
                float actual = fp32Out[r * TinySavedModels.UNITS + j];
                // float32 sums of 16 products: a few ulps of the largest term
                assertEquals(expected, actual, 1e-5 * (1 + Math.abs(expected)), "y[" + r + "," + j + "]");
            }
        }
    }

    @Test
    void bf16OutputsAreBfloat16RoundedAndDifferFromFp32() {
        assertEquals(DataType.FLOAT32, bf16OutType, "DJL sees float32: the casts are inside the graph");
        int differing = 0;
        for (int k = 0; k < bf16Out.length; k++) {
            assertTrue(
                    TinySavedModels.isBfloat16Exact(bf16Out[k]),
                    "y[" + k + "] = " + bf16Out[k] + " has bits below bfloat16's 8-bit significand");
            if (bf16Out[k] != fp32Out[k]) {
                differing++;
            }
        }
        // fp32 results of these weights are almost never bf16-exact; all nonzero ones should move
        long nonzero = countNonzero(fp32Out);
        assertTrue(nonzero >= bf16Out.length / 4, "the test input must activate the relu");
        assertEquals(nonzero, differing, "every nonzero output changes under bf16 rounding");
    }

    /**
     * The bound: x, W and b are each rounded to bf16 (relative error u = 2^-9), so each product
     * errs by at most (2u + u^2)|x w| and the bias by u|b|; oneDNN accumulates in float32 (error
     * ~16 * 2^-24, negligible) and rounds the sum s to bf16 (u|s|); relu is 1-Lipschitz. So
     * |y_bf16 - y_fp32| <= 2u (sum|x w| + |b|) + 2u|s|, with 2u on the last two terms covering the
     * second-order parts. 1e-6 absorbs the float32 reference's own rounding.
     */
    @Test
    void bf16IsWithinTheRoundingBoundOfFp32() {
        float[][] x = TinySavedModels.inputValues();
        float[][] w = TinySavedModels.weights(TinySavedModels.FEATURES, TinySavedModels.UNITS, 0);
        float[] b = TinySavedModels.bias(TinySavedModels.UNITS, 0);
        double[][] ref = reference();
        double worstShare = 0;
        for (int r = 0; r < TinySavedModels.BATCH; r++) {
            for (int j = 0; j < TinySavedModels.UNITS; j++) {
                double magnitude = Math.abs(b[j]);
                double sum = b[j];
                for (int i = 0; i < TinySavedModels.FEATURES; i++) {
                    magnitude += Math.abs((double) x[r][i] * w[i][j]);
                    sum += (double) x[r][i] * w[i][j];
                }
                double bound = 2 * BF16_UNIT_ROUNDOFF * (magnitude + Math.abs(sum)) + 1e-6;
                double error = Math.abs(bf16Out[r * TinySavedModels.UNITS + j] - ref[r][j]);
                assertTrue(
                        error <= bound,
                        "y[" + r + "," + j + "] errs by " + error + ", bound " + bound);
                worstShare = Math.max(worstShare, error / bound);
            }
        }
        // the bound is not vacuous: some output uses a visible part of it
        assertTrue(worstShare > 0.01, "largest error is only " + worstShare + " of the bound");
    }

    @Test
    void verifyReportsBf16MixedFromTheExecutedGraph() throws Exception {
        try (ZooModel<NDList, NDList> model = TinySavedModels.load(dense, bf16)) {
            TensorFlowPrecisionReport report = bf16.verify(model);
            assertTrue(report.isAsRequested(), report.toString());
            assertEquals(Precision.BF16_MIXED, report.getPrecisionInEffect());
            List<String> bf16Ops = report.getComputeOpsByType().get("bfloat16");
            assertTrue(bf16Ops != null && bf16Ops.stream().anyMatch(op -> op.contains("MatMul")), report.toString());
            // the rewrite leaves the relu in float32 after its cast back
            assertTrue(report.getComputeOpsByType().get("float32").stream().anyMatch(op -> op.startsWith("Relu")));
            assertTrue(report.getComputeDevices().stream().allMatch(d -> d.endsWith("/device:CPU:0")));
            assertTrue(bf16.getPath().startsWith("tensorflow bf16-mixed on "), bf16.getPath());
        }
    }

    @Test
    void verifyReportsFp32WithoutAnySixteenBitOp() throws Exception {
        try (ZooModel<NDList, NDList> model = TinySavedModels.load(dense, fp32)) {
            TensorFlowPrecisionReport report = fp32.verify(model);
            assertTrue(report.isAsRequested(), report.toString());
            assertEquals(Precision.FLOAT_TRUE, report.getPrecisionInEffect());
            assertEquals(List.of("float32"), List.copyOf(report.getComputeOpsByType().keySet()));
            // a probe of the user's own data sees the same graph
            try (NDManager manager = model.getNDManager().newSubManager()) {
                TensorFlowPrecisionReport withProbe =
                        fp32.verify(model, new NDList(TinySavedModels.input(manager)));
                assertEquals(report.getComputeOpsByType(), withProbe.getComputeOpsByType());
            }
        }
    }

    @Test
    void fp32IsNotClaimedForAModelWithBf16CastsBuiltIn() throws Exception {
        Path withCasts = TinySavedModels.export(tmp.resolve("casts"), 1, TinySavedModels.Variant.BF16_CASTS);
        try (ZooModel<NDList, NDList> model = TinySavedModels.load(withCasts, fp32)) {
            PrecisionNotInEffectException e =
                    assertThrows(PrecisionNotInEffectException.class, () -> fp32.verify(model));
            assertEquals(Precision.BF16_MIXED, e.getReport().getPrecisionInEffect());
        }
    }

    private static double[][] reference() {
        return TinySavedModels.layer(
                TinySavedModels.toDouble(TinySavedModels.inputValues()),
                TinySavedModels.weights(TinySavedModels.FEATURES, TinySavedModels.UNITS, 0),
                TinySavedModels.bias(TinySavedModels.UNITS, 0));
    }

    private static long countNonzero(float[] values) {
        long n = 0;
        for (float v : values) {
            if (v != 0f) {
                n++;
            }
        }
        return n;
    }
}

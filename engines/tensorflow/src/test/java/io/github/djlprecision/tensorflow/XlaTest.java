package io.github.djlprecision.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.UnsupportedPrecisionException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** XLA JIT on CPU, in its own JVM: TF_XLA_FLAGS must be set before TensorFlow loads. */
class XlaTest {

    @TempDir Path tmp;

    @Test
    void xlaCompilesClustersAndKeepsFp32Results() throws Exception {
        TensorFlowLoadOptions xla = TensorFlowLoadOptions.builder(PrecisionConfig.of("32-true")).optXla(true).build();
        assertTrue(
                ProcessEnvironment.get(TensorFlowLoadOptions.XLA_FLAGS)
                        .contains(TensorFlowLoadOptions.XLA_CPU_GLOBAL_JIT));
        Path twoLayers = TinySavedModels.export(tmp.resolve("mlp"), 2, TinySavedModels.Variant.PLAIN);
        try (ZooModel<NDList, NDList> model = TinySavedModels.load(twoLayers, xla);
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager("TensorFlow")) {
            TensorFlowPrecisionReport report = xla.verify(model);
            assertTrue(report.isAsRequested(), report.toString());
            assertTrue(report.getXlaClusters() > 0, report.toString());
            assertEquals(Precision.FLOAT_TRUE, report.getPrecisionInEffect());

            float[] y = predictor.predict(new NDList(TinySavedModels.input(manager))).head().toFloatArray();
            double[][] hidden =
                    TinySavedModels.layer(
                            TinySavedModels.toDouble(TinySavedModels.inputValues()),
                            TinySavedModels.weights(TinySavedModels.FEATURES, TinySavedModels.UNITS, 0),
                            TinySavedModels.bias(TinySavedModels.UNITS, 0));
            double[][] ref =
                    TinySavedModels.layer(
                            hidden,
                            TinySavedModels.weights(TinySavedModels.UNITS, TinySavedModels.UNITS, 1),
                            TinySavedModels.bias(TinySavedModels.UNITS, 1));
            for (int r = 0; r < TinySavedModels.BATCH; r++) {
                for (int j = 0; j < TinySavedModels.UNITS; j++) {
                    assertEquals(ref[r][j], y[r * TinySavedModels.UNITS + j], 1e-5 * (1 + Math.abs(ref[r][j])));
                }
            }
        }
    }

    @Test
    void bf16WithXlaOnCpuIsRefused() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-mixed")).optXla(true).build());
        assertTrue(e.getMessage().contains("XLA computes bfloat16 ops in float32"), e.getMessage());
    }
}

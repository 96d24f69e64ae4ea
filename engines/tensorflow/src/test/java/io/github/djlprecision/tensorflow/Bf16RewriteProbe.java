package io.github.djlprecision.tensorflow;

import io.github.djlprecision.PrecisionConfig;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link RewriteNotInEffectTest}: asks for bf16-mixed in whatever process
 * environment it was started with, and prints what happened as {@code RESULT key=value} lines.
 */
public final class Bf16RewriteProbe {

    private Bf16RewriteProbe() {}

    /**
     * Exports a tiny model into the folder given, runs it in bf16-mixed, verifies strictly and
     * leniently, and prints the outcome.
     *
     * @param args the folder to export into
     * @throws Exception if anything but the expected verification failure goes wrong
     */
    public static void main(String[] args) throws Exception {
        TensorFlowLoadOptions strict =
                TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-mixed")).build();
        TensorFlowLoadOptions lenient =
                TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-mixed"))
                        .optFailWhenNotInEffect(false)
                        .build();
        Path dir = TinySavedModels.export(Path.of(args[0]), 1, TinySavedModels.Variant.PLAIN);
        try (ZooModel<NDList, NDList> model = TinySavedModels.load(dir, strict);
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager("TensorFlow")) {
            float[] y = predictor.predict(new NDList(TinySavedModels.input(manager))).head().toFloatArray();
            int exact = 0;
            for (float v : y) {
                exact += v != 0f && TinySavedModels.isBfloat16Exact(v) ? 1 : 0;
            }
            System.out.println("RESULT bf16ExactNonzeroOutputs=" + exact);
            try {
                strict.verify(model);
                System.out.println("RESULT strict=no exception");
            } catch (PrecisionNotInEffectException e) {
                System.out.println("RESULT strict=" + e.getMessage());
            }
            TensorFlowPrecisionReport report = lenient.verify(model);
            System.out.println("RESULT inEffect=" + report.getPrecisionInEffect());
            System.out.println("RESULT asRequested=" + report.isAsRequested());
            System.out.println("RESULT path=" + lenient.getPath());
        }
    }
}

package snippets;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.tensorflow.TensorFlowLoadOptions;
import io.github.djlprecision.tensorflow.TensorFlowPrecisionReport;
import io.github.djlprecision.tensorflow.TinySavedModels;
import java.nio.file.Files;
import java.nio.file.Path;

/** docs/tpu-and-tensorflow.md, "Usage": bf16 inference of a SavedModel through DJL. */
public final class TensorFlowBf16 {

    private TensorFlowBf16() {}

    public static void main(String[] args) throws Exception {
        // snippet:start configure
        // Before anything loads the TensorFlow engine: this sets TensorFlow's process switches.
        TensorFlowLoadOptions options =
                TensorFlowLoadOptions.builder(PrecisionConfig.of("bf16-mixed"))  // Lightning's values
                        .optDevice(Device.cpu())       // default; a GPU or TPU must exist, see below
                        .optXla(false)                 // default: on for a TPU only
                        .optFailWhenNotInEffect(true)  // default: verify() throws; false logs a warning
                        .build();
        // snippet:end configure
        Path savedModelDir =
                TinySavedModels.export(
                        Files.createTempDirectory("snippet"), 1, TinySavedModels.Variant.PLAIN);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "TensorFlow")) {
            NDList input = new NDList(TinySavedModels.input(manager));
            // snippet:start load
            Criteria<NDList, NDList> criteria = Criteria.builder()
                    .setTypes(NDList.class, NDList.class)
                    .optModelPath(savedModelDir)
                    .optEngine("TensorFlow")
                    .optOptions(options.getLoadOptions())
                    .build();

            try (ZooModel<NDList, NDList> model = criteria.loadModel();
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                // Check what TensorFlow really runs; throws PrecisionNotInEffectException if not bf16.
                TensorFlowPrecisionReport report = options.verify(model);
                System.out.println(report.getPath());
                NDList output = predictor.predict(input);
                // snippet:end load
                if (report.getPrecisionInEffect() != Precision.BF16_MIXED
                        || output.head().getShape().get(0) != input.head().getShape().get(0)) {
                    throw new IllegalStateException("not bf16 in effect: " + report);
                }
            }
        }
    }
}

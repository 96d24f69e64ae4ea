package snippets;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.ModelFiles;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.WeightConversion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * 16-bit-training.md, "Inference": weights converted to fp16 once, saved, loaded and served; and
 * fp32 weights kept under autocast.
 */
public final class ConvertedInference {

    private ConvertedInference() {}

    private static Block mlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(64).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(4).build());
    }

    public static void main(String[] args)
            throws TranslateException, IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("converted");
        try (Model model = Model.newInstance("mlp", Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            model.setBlock(mlp());
            // stands for model.load(...) of a trained fp32 model
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 16));
            NDList input = new NDList(manager.randomNormal(new Shape(8, 16)));
            // snippet:start convert
            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of("16-true"));
            System.out.println(block.getPath()); // converted-weights(float16, float32 batch norm)
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
                NDList output = predictor.predict(input); // fp16 weights, output returned in fp32
            }
            ModelFiles.save(model, dir, "mlp-fp16"); // fp16; property precision.weights=float16
            // snippet:end convert
            check(model, DataType.FLOAT16);
            // snippet:start unwrap
            block.unwrap(); // the fp32 weights again, bit for bit; plain DJL serves the model
            ModelFiles.save(model, dir, "mlp"); // fp32, as before wrap
            // snippet:end unwrap
            check(model, DataType.FLOAT32);

            // snippet:start load
            try (Model loaded = Model.newInstance("mlp", Device.cpu())) {
                loaded.setBlock(mlp());
                loaded.load(dir, "mlp-fp16");
                System.out.println(loaded.getProperty(WeightConversion.PROPERTY)); // float16
                PrecisionBlock.wrap(loaded, PrecisionConfig.of("16-true")); // nothing to convert
                try (Predictor<NDList, NDList> predictor =
                        loaded.newPredictor(new NoopTranslator())) {
                    predictor.predict(input);
                }
            }
            // snippet:end load
        }
        try (Model shared = Model.newInstance("mlp", Device.cpu())) {
            shared.setBlock(mlp());
            shared.getBlock().initialize(shared.getNDManager(), DataType.FLOAT32, new Shape(1, 16));
            // snippet:start keep
            PrecisionConfig keepFp32 =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            .optWeightConversion(WeightConversion.NEVER)
                            .build();
            PrecisionBlock.wrap(shared, keepFp32); // fp32 weights, cast under autocast per call
            // snippet:end keep
            check(shared, DataType.FLOAT32);
        }
    }

    /** The snippet's comments are true: the first weight is held in the type they say. */
    private static void check(Model model, DataType expected) {
        DataType type =
                model.getBlock().getParameters().get("01Linear_weight").getArray().getDataType();
        if (type != expected) {
            throw new IllegalStateException("weights are " + type + ", not " + expected);
        }
    }
}

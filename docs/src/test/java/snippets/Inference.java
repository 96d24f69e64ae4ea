package snippets;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.inference.PrecisionBlock;

/** 16-bit-training.md, "Inference": a Predictor whose forward runs in bf16. */
public final class Inference {

    private Inference() {}

    public static void main(String[] args) throws TranslateException {
        try (Model model = Model.newInstance("mlp", Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            // stands for model.load(...): the parameters must exist before wrapping
            model.getBlock().initialize(manager, DataType.FLOAT32, new Shape(1, 16));
            NDList input = new NDList(manager.randomNormal(new Shape(8, 16)));
            // snippet:start
            PrecisionBlock.wrap(model, PrecisionConfig.of("bf16-mixed"));
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
                NDList output = predictor.predict(input); // computed in bf16, returned as fp32
                System.out.println(output.head().getDataType());
            }
            // snippet:end
        }
    }
}

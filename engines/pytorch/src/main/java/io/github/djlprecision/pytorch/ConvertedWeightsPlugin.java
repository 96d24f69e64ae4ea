package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.GraphCasts;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PrecisionPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inference over weights converted to fp16 once ({@link Fp16Weights}), norm layers in fp32 where
 * LibTorch runs them so. Without autocast it is PyTorch's {@code model.half()}: inputs cast to
 * fp16, everything computes in the weights' types. With autocast ({@code 16-mixed}) the forward
 * runs as {@code 16-mixed} always does, but autocast finds the weights already in fp16 and casts
 * only activations. Either way fp16 outputs go back to fp32 for the translator.
 */
final class ConvertedWeightsPlugin implements PrecisionPlugin {

    private static final Logger logger = LoggerFactory.getLogger(ConvertedWeightsPlugin.class);

    private final Precision precision;
    private final NativeAutocast autocast;
    private final String path;

    /**
     * Creates the plugin.
     *
     * @param precision {@code 16-true} or {@code 16-mixed}
     * @param autocast LibTorch's autocast to run the forward under, or null for none
     * @param path what runs, for {@link #getPath()}
     */
    ConvertedWeightsPlugin(Precision precision, NativeAutocast autocast, String path) {
        this.precision = precision;
        this.autocast = autocast;
        this.path = path;
    }

    @Override
    public Precision getPrecision() {
        return precision;
    }

    @Override
    public String getPath() {
        return path + LibTorchHostGuard.pathNote();
    }

    /** The weights are fp16; norm layers stay fp32. */
    @Override
    public DataType getParameterType() {
        return DataType.FLOAT16;
    }

    /** Converts the model's remaining fp32 weights, once. */
    @Override
    public void convertModule(Model model) {
        int converted = Fp16Weights.convert(model, autocast != null);
        if (converted > 0) {
            logger.info(
                    "Model '{}': {} parameters converted to float16 for inference ({}); the"
                            + " float32 arrays were released.",
                    model.getName(),
                    converted,
                    path);
        }
    }

    @Override
    public ForwardContext forwardContext(Device device) {
        return autocast == null ? ForwardContext.NONE : autocast.enter(device, DataType.FLOAT16);
    }

    /** Without autocast, floating inputs must meet the weights in fp16; autocast casts its own. */
    @Override
    public NDList convertInput(NDList input) {
        return autocast == null ? InputCasts.toFloating(input, DataType.FLOAT16) : input;
    }

    @Override
    public NDList convertOutput(NDList output) {
        NDList converted = new NDList(output.size());
        for (NDArray array : output) {
            converted.add(
                    array.getDataType() == DataType.FLOAT16 ? GraphCasts.toFloat32(array) : array);
        }
        return converted;
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PrecisionPlugin;

/**
 * One data type for parameters, activations and gradients, as Lightning's half and double
 * plugins: {@code 16-true}, {@code 64-true}, and Apex O0 (fp32) and O3 (pure fp16).
 *
 * <p>DJL cannot cast a block ({@code Block.cast} throws), so the parameters are created in the type:
 * {@link #beforeInitialize} sets the model's data type, which DJL's initializers create parameters
 * in. Inputs are converted to the type; 16-bit outputs go back to fp32 so the loss (and DJL's
 * softmax) runs in fp32, while 64-true keeps fp64 outputs.
 */
final class TruePrecisionPlugin implements PrecisionPlugin {

    private final Precision precision;
    private final DataType type;
    private final String path;

    /**
     * Creates the plugin.
     *
     * @param precision the precision reported ({@code 16-mixed} for Apex O0 and O3)
     * @param type the data type of parameters and activations
     * @param path what runs, for {@link #getPath()}
     */
    TruePrecisionPlugin(Precision precision, DataType type, String path) {
        this.precision = precision;
        this.type = type;
        this.path = path;
    }

    @Override
    public Precision getPrecision() {
        return precision;
    }

    @Override
    public String getPath() {
        return path;
    }

    @Override
    public void beforeInitialize(Model model) {
        model.setDataType(type);
    }

    @Override
    public NDList convertInput(NDList input) {
        return GraphCasts.toFloating(input, type);
    }

    @Override
    public NDList convertOutput(NDList output) {
        if (type != DataType.FLOAT16) {
            return output;
        }
        NDList converted = new NDList(output.size());
        for (NDArray array : output) {
            converted.add(
                    array.getDataType() == DataType.FLOAT16 ? GraphCasts.toFloat32(array) : array);
        }
        return converted;
    }
}

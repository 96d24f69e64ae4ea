package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.GraphCasts;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.StepOutcome;
import java.util.List;

/**
 * One data type for parameters, activations and gradients, as Lightning's half and double
 * plugins: {@code 16-true}, {@code 64-true}, and Apex O0 (fp32) and O3 (pure fp16).
 *
 * <p>DJL cannot cast a block ({@code Block.cast} throws), so the parameters are created in the type:
 * {@link #beforeInitialize} sets the model's data type, which DJL's initializers create parameters
 * in. Inputs are converted to the type; 16-bit outputs go back to fp32 so the loss (and DJL's
 * softmax) runs in fp32, while 64-true keeps fp64 outputs. DJL's recurrent blocks get their initial
 * states in the type ({@link RecurrentStates}).
 *
 * <p>For fp64 the optimizer is called directly, as DJL's single-device step does ({@code
 * LocalParameterServer}): DJL's {@code Trainer.step()} reads the gradients' sum with {@code
 * getFloat()} on its first call, which throws for fp64.
 */
final class TruePrecisionPlugin implements PrecisionPlugin {

    private final Precision precision;
    private final DataType type;
    private final String path;
    private final RecurrentStates states;
    private Optimizer optimizer;
    private boolean gradientsChecked;

    /**
     * Creates the plugin.
     *
     * @param precision the precision reported ({@code 16-mixed} for Apex O0 and O3)
     * @param type the data type of parameters and activations
     * @param path what runs, for {@link #getPath()}
     * @param states gives recurrent blocks their initial states in the type, or null for fp32
     */
    TruePrecisionPlugin(Precision precision, DataType type, String path, RecurrentStates states) {
        this.precision = precision;
        this.type = type;
        this.path = path;
        this.states = states;
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
        // also the blocks that ask for FLOAT32 themselves (ScaledDotProductAttentionBlock)
        TypedInitializer.createIn(model.getBlock(), type);
    }

    @Override
    public void convertModule(Model model) {
        if (states != null) {
            states.place(model.getBlock());
        }
    }

    @Override
    public Optimizer convertOptimizer(Optimizer optimizer) {
        this.optimizer = optimizer;
        return optimizer;
    }

    @Override
    public StepOutcome optimizerStep(StepContext context) {
        if (type != DataType.FLOAT64) {
            return PrecisionPlugin.super.optimizerStep(context);
        }
        List<NDArray> gradients = context.gradients();
        context.clipping().ifPresent(c -> clipGradients(gradients, c));
        List<Parameter> trainable = context.parameters();
        if (!gradientsChecked && !gradients.isEmpty()) {
            // the check DJL's first step makes, read through fp32
            NDList sums = new NDList(gradients.size());
            gradients.forEach(g -> sums.add(g.sum()));
            if (NDArrays.stack(sums).sum().toType(DataType.FLOAT32, false).getFloat() == 0f) {
                throw new IllegalStateException(
                        "Gradient values are all zeros, please call gradientCollector.backward() on"
                                + " your target NDArray (usually loss), before calling step()");
            }
            gradientsChecked = true;
        }
        for (int i = 0; i < trainable.size(); i++) {
            Parameter parameter = trainable.get(i);
            try (NDArray gradient = gradients.get(i).duplicate()) {
                optimizer.update(parameter.getId(), parameter.getArray(), gradient);
            }
        }
        return StepOutcome.appliedUnscaled();
    }

    @Override
    public NDList convertInput(NDList input) {
        NDList converted = InputCasts.toFloating(input, type);
        return states == null ? converted : states.convertInput(converted);
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

    @Override
    public void close() {
        if (states != null) {
            states.close();
        }
    }
}

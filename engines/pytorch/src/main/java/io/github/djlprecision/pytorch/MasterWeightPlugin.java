package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.Precision;
import io.github.djlprecision.plugins.GraphCasts;
import io.github.djlprecision.plugins.MixedPrecisionPlugin;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.StepOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Apex O2 for {@code 16-mixed}: an fp16 model whose batch- and layer-norm layers stay fp32, fp32
 * master weights that the user's optimizer updates, and dynamic loss scaling. It is also the
 * fallback when LibTorch's autocast cannot be used.
 *
 * <p>Each step copies the scaled fp16 gradients to fp32, unscales and checks them there (so small
 * gradients do not underflow in fp16), and either skips the step, leaving masters, weights and
 * optimizer state as they were, or hands the fp32 gradients to {@link MasterWeightOptimizer}.
 */
final class MasterWeightPlugin extends MixedPrecisionPlugin {

    private final MasterWeights masters = new MasterWeights();
    private final RecurrentStates states;
    private MasterWeightOptimizer optimizer;

    /**
     * Creates the plugin.
     *
     * @param scaler the loss scaler
     * @param path what runs, for {@link #getPath()}
     * @param states gives recurrent blocks their initial states in fp16
     */
    MasterWeightPlugin(DynamicLossScaler scaler, String path, RecurrentStates states) {
        super(Precision.HALF_MIXED, (device, type) -> ForwardContext.NONE, scaler, path);
        this.states = states;
    }

    /** The model holds fp16 weights; the fp32 masters live beside it. */
    @Override
    public DataType getParameterType() {
        return DataType.FLOAT16;
    }

    @Override
    public void beforeInitialize(Model model) {
        model.setDataType(DataType.FLOAT16);
        NormLayers.createInFloat32(model.getBlock());
        // the rest in fp16, also where a block asks for FLOAT32 itself (attention projections)
        TypedInitializer.createIn(model.getBlock(), DataType.FLOAT16);
    }

    @Override
    public void convertModule(Model model) {
        List<Parameter> trainable = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            if (parameter.requiresGradient()) {
                trainable.add(parameter);
            }
        }
        masters.create(model.getNDManager(), trainable);
        states.place(model.getBlock());
    }

    @Override
    public Optimizer convertOptimizer(Optimizer userOptimizer) {
        // the trainer may ask more than once: one wrapper, one optimizer state
        if (optimizer == null || optimizer.getDelegate() != userOptimizer) {
            optimizer = new MasterWeightOptimizer(userOptimizer, masters);
        }
        return optimizer;
    }

    @Override
    public NDList convertInput(NDList input) {
        return states.convertInput(InputCasts.toFloating(input, DataType.FLOAT16));
    }

    @Override
    public Optional<NDArray> getMasterWeight(Parameter parameter) {
        return Optional.ofNullable(masters.get(parameter.getId()));
    }

    @Override
    public StepOutcome optimizerStep(StepContext context) {
        List<Parameter> trainable = context.parameters();
        List<NDArray> gradients = context.gradients();
        DynamicLossScaler scaler = getScaler();
        boolean nonFinite;
        try (NDManager scope = masters.getManager().newSubManager()) {
            List<NDArray> fp32 = new ArrayList<>(gradients.size());
            for (NDArray gradient : gradients) {
                NDArray copy =
                        gradient.getDataType() == DataType.FLOAT32
                                ? gradient.duplicate()
                                : gradient.toType(DataType.FLOAT32, true);
                copy.attach(scope);
                fp32.add(copy);
            }
            nonFinite = scaler.unscaleAndCheck(fp32);
            if (nonFinite) {
                // DJL's optimizers clear gradients; a skipped step must too, without g - g (inf -> NaN)
                scaler.discard(gradients);
            } else {
                context.clipping().ifPresent(c -> clipGradients(fp32, c));
                for (int i = 0; i < trainable.size(); i++) {
                    masters.offerGradient(trainable.get(i).getId(), fp32.get(i));
                }
                try {
                    context.applyUpdate();
                } finally {
                    masters.clearGradients();
                }
            }
        }
        return scaler.update(nonFinite);
    }

    @Override
    public void close() {
        states.close();
        masters.close();
    }
}

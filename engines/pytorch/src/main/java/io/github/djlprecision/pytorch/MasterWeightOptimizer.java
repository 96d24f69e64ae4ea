package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;

/**
 * Apex O2's optimizer step around the user's optimizer: it updates the fp32 master copy of each
 * fp16 parameter from the unscaled fp32 gradient, so its state is fp32 too, and writes the master,
 * rounded to fp16, back into the parameter the model computes with. fp32 parameters (norm layers)
 * are updated directly.
 */
final class MasterWeightOptimizer extends Optimizer {

    private static final NDIndex ALL = new NDIndex("...");

    private final Optimizer delegate;
    private final MasterWeights masters;

    MasterWeightOptimizer(Optimizer delegate, MasterWeights masters) {
        super(new Builder());
        this.delegate = delegate;
        this.masters = masters;
    }

    /**
     * Returns the user's optimizer.
     *
     * @return the wrapped optimizer
     */
    Optimizer getDelegate() {
        return delegate;
    }

    /**
     * Updates one parameter. The {@code grad} DJL passes is a copy of the fp16 gradient, still
     * multiplied by the loss scale; the step already made the unscaled fp32 one, which is used
     * instead.
     */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        NDArray gradient = masters.takeGradient(parameterId);
        NDArray master = masters.get(parameterId);
        if (master == null) {
            delegate.update(parameterId, weight, gradient);
            return;
        }
        delegate.update(parameterId, master, gradient);
        try (NDArray rounded = master.toType(DataType.FLOAT16, false)) {
            weight.set(ALL, rounded);
        }
        // DJL's own optimizers clear the weight's gradient after updating; the delegate cleared the
        // master's, which has none
        JniUtils.zeroGrad((PtNDArray) weight);
    }

    private static final class Builder extends OptimizerBuilder<Builder> {

        @Override
        protected Builder self() {
            return this;
        }
    }
}

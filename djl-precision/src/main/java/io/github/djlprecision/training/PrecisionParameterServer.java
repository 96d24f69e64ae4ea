package io.github.djlprecision.training;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterServer;
import ai.djl.training.optimizer.Optimizer;
import java.util.Map;

/**
 * The {@link ParameterServer} behind the trainer's {@link PrecisionParameterStore}: DJL's {@code
 * ParameterStore.updateAllParameters()} asks it to update each parameter, and it runs the user's
 * optimizer once, on the parameter's value on the first device, with the gradient the step
 * prepared (summed over devices, unscaled, checked, clipped). The step then copies the result to
 * the other devices. DJL's own {@code LocalParameterServer} instead runs the optimizer once per
 * device, which keeps the optimizer's state on every device and advances its update count (and
 * so Adam's bias correction and learning-rate schedules) once per device per step.
 */
final class PrecisionParameterServer implements ParameterServer {

    private final Optimizer optimizer;
    private Map<String, NDArray> gradients = Map.of();

    PrecisionParameterServer(Optimizer optimizer) {
        this.optimizer = optimizer;
    }

    /**
     * Sets the gradients of the coming update; a parameter without one is left as it is.
     *
     * @param gradients the prepared gradient of every parameter to update, by parameter id
     */
    void prepare(Map<String, NDArray> gradients) {
        this.gradients = gradients;
    }

    @Override
    public void init(String parameterId, NDArray[] value) {}

    @Override
    public void update(String parameterId, NDArray[] params) {
        NDArray gradient = gradients.get(parameterId);
        if (gradient != null) {
            optimizer.update(parameterId, params[0], gradient);
        }
    }

    @Override
    public void update(String parameterId, NDArray[] grads, NDArray[] params) {
        update(parameterId, params);
    }

    @Override
    public void close() {
        gradients = Map.of();
    }
}

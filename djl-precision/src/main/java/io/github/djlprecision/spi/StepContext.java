package io.github.djlprecision.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.List;

/** What the trainer hands a plugin for one optimizer step. */
public interface StepContext {

    /**
     * Returns the trainable parameters.
     *
     * @return the parameters that require a gradient, in the model's order
     */
    List<Parameter> parameters();

    /**
     * Returns the gradient of every trainable parameter, in the order of {@link #parameters()}, on
     * the first training device and already summed over all devices. They are the real gradients:
     * changing them in place changes what the optimizer sees. Valid only during the step.
     *
     * @return the gradients, as the backward pass left them (multiplied by the loss scale, if any)
     */
    List<NDArray> gradients();

    /**
     * Returns a manager for the step's temporary arrays, closed when the step ends.
     *
     * @return the step's scope, on the first training device
     */
    NDManager scope();

    /**
     * Returns how many steps this trainer has taken before this one, skipped ones included.
     *
     * @return the step index, from 0
     */
    long stepIndex();
}

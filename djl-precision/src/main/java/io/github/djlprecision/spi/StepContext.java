package io.github.djlprecision.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.github.djlprecision.GradientClipping;
import java.util.List;
import java.util.Optional;

/** What the trainer hands a plugin for one optimizer step. */
public interface StepContext {

    /**
     * Returns the gradients of every trainable parameter, in parameter order. They are views of
     * the real gradients: changing them in place changes what the optimizer sees. Valid only during
     * the step.
     *
     * @return the gradients
     */
    List<NDArray> gradients();

    /**
     * Returns the trainable parameters, in the order of {@link #gradients()}: the i-th gradient
     * belongs to the i-th parameter.
     *
     * @return the parameters that require a gradient
     */
    List<Parameter> parameters();

    /** Runs the user's optimizer on the current gradients (DJL's own update). */
    void applyUpdate();

    /**
     * Returns the gradient clipping the user asked for.
     *
     * @return the clipping settings, or empty
     */
    Optional<GradientClipping> clipping();

    /**
     * Returns how many steps this trainer has taken before this one, skipped ones included.
     *
     * @return the step index, from 0
     */
    long stepIndex();
}

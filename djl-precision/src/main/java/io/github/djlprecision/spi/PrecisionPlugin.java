package io.github.djlprecision.spi;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionTrainer;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A precision recipe, with the hooks of PyTorch Lightning's precision plugins. Every hook but
 * {@link #getPrecision()} and {@link #getPath()} defaults to doing nothing, so a plugin overrides
 * only what its recipe changes.
 *
 * <p>The trainer calls the hooks at fixed points: {@link #beforeInitialize} and {@link
 * #convertModule} around parameter creation, {@link #convertOptimizer} once when the trainer is
 * made, then for every batch {@link #convertInput}, the forward pass inside {@link
 * #forwardContext}, {@link #convertOutput}, {@link #preBackward} on the loss, and {@link
 * #optimizerStep} (which calls {@link #clipGradients}). {@link #stateDict} and {@link
 * #loadStateDict} carry the plugin's state through checkpoints.
 */
public interface PrecisionPlugin extends AutoCloseable {

    /**
     * Returns the precision this plugin runs.
     *
     * @return the precision
     */
    Precision getPrecision();

    /**
     * Returns what really runs, for users and reports, e.g. {@code "native-autocast(cpu,
     * float16)"} or {@code "apex-O2"}. Never claims more than is in effect.
     *
     * @return the path in effect
     */
    String getPath();

    /**
     * Returns the data type the model's own parameters are held in, e.g. {@code FLOAT16} for a
     * recipe with fp16 weights and fp32 master copies beside them.
     *
     * @return the parameter type; by default the precision's
     */
    default DataType getParameterType() {
        return getPrecision().parameterType();
    }

    /**
     * Called before the model's parameters are created, e.g. to set the data type the
     * initializers create them in (Lightning's {@code module_init_context}).
     *
     * @param model the model about to be initialized
     */
    default void beforeInitialize(Model model) {}

    /**
     * Called once the model's parameters exist, e.g. to keep norm layers in fp32.
     *
     * @param model the initialized model
     */
    default void convertModule(Model model) {}

    /**
     * Wraps or replaces the user's optimizer, e.g. to keep fp32 master weights.
     *
     * @param optimizer the user's optimizer
     * @return the optimizer the trainer uses
     */
    default Optimizer convertOptimizer(Optimizer optimizer) {
        return optimizer;
    }

    /**
     * Opens the scope the forward pass runs in, on the calling thread.
     *
     * @param device the device the forward runs on
     * @return the scope, closed right after the forward, also when it throws
     */
    default ForwardContext forwardContext(Device device) {
        return ForwardContext.NONE;
    }

    /**
     * Converts the inputs before the forward pass.
     *
     * @param input the batch as the user's data gives it
     * @return the inputs the model should see
     */
    default NDList convertInput(NDList input) {
        return input;
    }

    /**
     * Converts the outputs after the forward pass, e.g. back to fp32 so the loss runs in fp32.
     *
     * @param output the model's outputs
     * @return the outputs the loss and the user see
     */
    default NDList convertOutput(NDList output) {
        return output;
    }

    /**
     * Called on the loss before backward, e.g. to multiply it by the loss scale.
     *
     * @param loss the loss
     * @return the array backward is called on
     */
    default NDArray preBackward(NDArray loss) {
        return loss;
    }

    /**
     * Runs one optimizer step: a plugin may unscale, check, clip, and apply or skip the update.
     * The default clips, then applies.
     *
     * @param context the gradients and the user's optimizer
     * @return what the step did
     */
    default StepOutcome optimizerStep(StepContext context) {
        context.clipping().ifPresent(c -> clipGradients(context.gradients(), c));
        context.applyUpdate();
        return StepOutcome.appliedUnscaled();
    }

    /**
     * Returns whether this plugin can clip gradients. Clipping needs every gradient unscaled
     * before the optimizer runs; a path that unscales inside its optimizer, or cannot unscale at
     * all, must return false so that the trainer refuses clipping up front.
     *
     * @return true if {@link #clipGradients} works on this path
     */
    default boolean supportsGradientClipping() {
        return true;
    }

    /**
     * Clips unscaled gradients in place; the default works with plain DJL operations on every
     * engine.
     *
     * @param gradients the gradients of this step
     * @param clipping the clipping settings
     */
    default void clipGradients(List<NDArray> gradients, GradientClipping clipping) {
        GradientClipper.clip(gradients, clipping);
    }

    /**
     * Returns the fp32 master copy the optimizer updates in place of a parameter, for recipes that
     * keep one (Apex O2). It is the plugin's: read it, do not change or close it.
     *
     * @param parameter a parameter of the model
     * @return the master copy, or empty when the optimizer updates the parameter itself
     */
    default Optional<NDArray> getMasterWeight(Parameter parameter) {
        return Optional.empty();
    }

    /**
     * Returns the state a checkpoint must keep, as strings so that it fits DJL model properties.
     *
     * @return the state; empty for a stateless plugin
     */
    default Map<String, String> stateDict() {
        return Map.of();
    }

    /**
     * Restores state saved by {@link #stateDict()}.
     *
     * @param state the saved state
     */
    default void loadStateDict(Map<String, String> state) {}

    /**
     * Called once the trainer that uses this plugin exists, so that the plugin can report through
     * it: {@link PrecisionTrainer#notifyListeners}, {@link PrecisionTrainer#getMetrics()}, {@link
     * PrecisionTrainer#getStepCount()}.
     *
     * @param trainer the trainer
     */
    default void onTrainerCreated(PrecisionTrainer trainer) {}

    /** Releases what the plugin holds; called when the trainer closes. */
    @Override
    default void close() {}
}

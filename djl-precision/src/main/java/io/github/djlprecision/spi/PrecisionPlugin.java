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
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A precision recipe, with the hooks of PyTorch Lightning's precision plugins. A plugin supplies
 * pieces; the trainer owns the order in which they run. Every hook but {@link #getPrecision()} and
 * {@link #getPath()} defaults to doing nothing, so a plugin overrides only what its recipe changes.
 *
 * <p>The order, for training ({@code PrecisionTrainer}):
 *
 * <ol>
 *   <li>once: {@link #onTrainerCreated}, then {@link #beforeInitialize}, parameter creation, and
 *       {@link #convertModule};
 *   <li>for every parameter and device, once: {@link #convertParameter} (the array the forward
 *       computes with);
 *   <li>every forward pass: {@link #convertInput}, the forward inside {@link #forwardContext},
 *       {@link #convertOutput};
 *   <li>on the loss: {@link #preBackward};
 *   <li>every optimizer step: {@link #unscaleGradients}, gradient clipping with {@link
 *       #clipGradients} if the user asked for it, then the update by the user's optimizer (or the
 *       {@link #fuseOptimizer fused} one) unless a gradient was inf or NaN, then {@link
 *       #updateAfterStep};
 *   <li>for checkpoints: {@link #stateDict} and {@link #loadStateDict}.
 * </ol>
 *
 * <p>For inference ({@code PrecisionBlock}) only {@link #convertModule} and the forward hooks run.
 * {@code docs/writing-a-plugin.md} has the full table of who calls what when.
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
     * Returns the data type the model's own parameters are held in (what {@code model.save}
     * writes).
     *
     * @return the parameter type; by default the precision's
     */
    default DataType getParameterType() {
        return getPrecision().parameterType();
    }

    /**
     * Returns the data type of the arrays the forward pass computes with in place of the
     * parameters ({@link #convertParameter}), e.g. fp16 for Apex O2's working copies of fp32
     * parameters.
     *
     * @return the type; by default {@link #getParameterType()}, for recipes that compute with the
     *     parameters themselves
     */
    default DataType getWorkingParameterType() {
        return getParameterType();
    }

    /**
     * Called once the trainer that uses this plugin exists, before {@link #beforeInitialize}, so
     * that the plugin can report through it.
     *
     * @param context the trainer's metrics, step count and listeners
     */
    default void onTrainerCreated(PluginContext context) {}

    /**
     * Called before the model's parameters are created, e.g. to set the data type the
     * initializers create them in (Lightning's {@code module_init_context}).
     *
     * @param model the model about to be initialized
     */
    default void beforeInitialize(Model model) {}

    /**
     * Called once the model's parameters exist (Lightning's {@code convert_module}), e.g. to check
     * their types or place blocks that must run in fp32.
     *
     * @param model the initialized model
     */
    default void convertModule(Model model) {}

    /**
     * Undoes what {@link #convertModule} changed in the model for inference, e.g. puts back the
     * fp32 weights a conversion to fp16 replaced; called by {@code PrecisionBlock.unwrap}. Lightning
     * has no counterpart: its {@code convert_module} cannot be undone.
     *
     * @param model the model {@link #convertModule} converted
     */
    default void restoreModule(Model model) {}

    /**
     * Returns the array the forward pass computes with for a parameter on a device; called once
     * per parameter and device. Apex O2 returns an fp16 working copy of its fp32 value, which the
     * trainer refreshes from the value after every applied update.
     *
     * @param parameter the parameter
     * @param value its value on the device (the parameter's own array on the first device)
     * @return the array to compute with; by default {@code value} itself
     */
    default NDArray convertParameter(Parameter parameter, NDArray value) {
        return value;
    }

    /**
     * Opens the scope the forward pass runs in, on the calling thread (Lightning's {@code
     * forward_context}), e.g. LibTorch's autocast.
     *
     * @param device the device the forward runs on
     * @return the scope, closed right after the forward, also when it throws
     */
    default ForwardContext forwardContext(Device device) {
        return ForwardContext.NONE;
    }

    /**
     * Converts the inputs before the forward pass (Lightning's {@code convert_input}), e.g.
     * floating inputs to fp16 for {@code 16-true}.
     *
     * @param input the batch as the user's data gives it
     * @return the inputs the model should see
     */
    default NDList convertInput(NDList input) {
        return input;
    }

    /**
     * Converts the outputs after the forward pass (Lightning's {@code convert_output}), e.g. back
     * to fp32 so the loss runs in fp32.
     *
     * @param output the model's outputs
     * @return the outputs the loss and the user see
     */
    default NDList convertOutput(NDList output) {
        return output;
    }

    /**
     * Called on the loss before backward (Lightning's {@code pre_backward}), e.g. to multiply it
     * by the loss scale as torch's {@code GradScaler.scale} does.
     *
     * @param loss the loss, of any shape, on the device its forward ran on
     * @return the array backward is called on; the trainer closes it after backward if it is not
     *     {@code loss}
     */
    default NDArray preBackward(NDArray loss) {
        return loss;
    }

    /**
     * Divides this step's gradients by the loss scale and checks them for inf and NaN (Lightning's
     * {@code unscale_gradients}, torch's {@code GradScaler.unscale_}).
     *
     * @param step the step's parameters and gradients
     * @return the gradients the optimizer should use and what the check found; by default the
     *     gradients as they are, unchecked
     */
    default UnscaledGradients unscaleGradients(StepContext step) {
        return UnscaledGradients.unchecked(step.gradients());
    }

    /**
     * Returns whether this plugin can clip gradients. Clipping needs every gradient unscaled
     * before the optimizer runs; a recipe that cannot unscale them must return false so that the
     * trainer refuses clipping up front.
     *
     * @return true if {@link #clipGradients} works on this path
     */
    default boolean supportsGradientClipping() {
        return true;
    }

    /**
     * Clips unscaled gradients in place (Lightning's {@code clip_gradients}); the default works
     * with plain DJL operations on every engine and reads nothing back to the host.
     *
     * @param gradients the unscaled gradients of this step
     * @param clipping the clipping settings
     */
    default void clipGradients(List<NDArray> gradients, GradientClipping clipping) {
        GradientClipper.clip(gradients, clipping);
    }

    /**
     * Returns an optimizer that does the user's optimizer's update for all parameters at once and
     * skips it on the device when a gradient was not finite (torch's fused SGD/Adam/AdamW, Apex's
     * FusedSGD/FusedAdam), so that the trainer never reads the non-finite flag to decide; called
     * once, when the trainer is made.
     *
     * @param optimizer the user's optimizer
     * @return the fused optimizer; empty to run the user's optimizer through DJL's {@code
     *     ParameterStore}, reading the flag first (the default)
     */
    default Optional<FusedOptimizer> fuseOptimizer(Optimizer optimizer) {
        return Optional.empty();
    }

    /**
     * Returns the device kernels the trainer uses around the step: zeroing gradients and copying
     * updated values to the other devices and to the arrays the forward computes with.
     *
     * @return the kernels; by default plain DJL operations
     */
    default AmpKernels getKernels() {
        return DjlAmpKernels.INSTANCE;
    }

    /**
     * Called after every step, applied or skipped (torch's {@code GradScaler.update}).
     *
     * @param foundInf the one-element fp32 array {@link #unscaleGradients} returned (1 if a
     *     gradient was inf or NaN), or null when nothing was checked
     */
    default void updateAfterStep(NDArray foundInf) {}

    /**
     * Returns the loss scale the next step uses.
     *
     * @return a one-element fp32 array on the training device, owned by the plugin; empty without
     *     loss scaling
     */
    default Optional<NDArray> getLossScale() {
        return Optional.empty();
    }

    /**
     * Returns the state a checkpoint must keep (Lightning's {@code state_dict}), as strings so
     * that it fits DJL model properties; the trainer writes it under the prefix {@code
     * precision.} at the end of every epoch and of training.
     *
     * @return the state; empty for a stateless plugin
     */
    default Map<String, String> stateDict() {
        return Map.of();
    }

    /**
     * Restores state saved by {@link #stateDict()} (Lightning's {@code load_state_dict}),
     * validating every value for what it means; called when a trainer is made for a model saved
     * training in the same precision, before {@link #onTrainerCreated}.
     *
     * @param state the saved state
     * @throws IllegalArgumentException naming the key, the value and the accepted range
     */
    default void loadStateDict(Map<String, String> state) {}

    /**
     * Releases what the plugin holds (Lightning's {@code teardown}); called when the trainer
     * closes. A plugin serving a {@code PrecisionBlock} is never closed: DJL blocks have no
     * close.
     */
    @Override
    default void close() {}
}

package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Set;

/**
 * The checks every LibTorch kernel called through JNA gets first, in Java. A LibTorch kernel that
 * rejects its arguments throws a C++ {@code c10::Error}; called through JNA, nothing catches it and
 * the JVM ends in {@code terminate}. So each argument's definedness (not closed), data type, device
 * and shape is checked here against what the kernel accepts, and a mismatch is an {@link
 * IllegalArgumentException} naming the kernel, the argument and the accepted values, thrown before
 * the kernel runs, with nothing changed.
 *
 * <p>What each kernel accepts follows LibTorch's own checks: {@code
 * _amp_foreach_non_finite_check_and_unscale_} and {@code _amp_update_scale_} (torch's GradScaler)
 * want single-element float32 flags and scales on the gradients' device, and {@code
 * _amp_update_scale_} an int32 growth tracker; the fused optimizers ({@code _fused_sgd_}, {@code
 * _fused_adam_}, {@code _fused_adamw_}) want every gradient and state of the parameter's type,
 * shape and device; {@code _foreach_copy_} wants lists of one length and equal shapes.
 */
final class KernelArguments {

    /** The floating types LibTorch's GradScaler and fused kernels accept (UNKNOWN is bf16). */
    private static final Set<DataType> FLOATING =
            Set.of(DataType.FLOAT16, DataType.FLOAT32, DataType.FLOAT64, DataType.UNKNOWN);

    private KernelArguments() {}

    /**
     * Checks the arguments of {@code _amp_foreach_non_finite_check_and_unscale_}.
     *
     * @param gradients floating arrays on the flag's device
     * @param foundInf a single-element float32 flag
     * @param invScale a single-element float32 inverse scale on the flag's device
     * @throws IllegalArgumentException naming the argument that does not fit
     */
    static void unscaleAndCheck(List<NDArray> gradients, NDArray foundInf, NDArray invScale) {
        String kernel = "_amp_foreach_non_finite_check_and_unscale_";
        scalar(kernel, "found_inf", foundInf, DataType.FLOAT32);
        scalar(kernel, "inv_scale", invScale, DataType.FLOAT32);
        Device device = foundInf.getDevice();
        sameDevice(kernel, "inv_scale", invScale, device);
        for (int i = 0; i < gradients.size(); i++) {
            String name = "gradient " + i;
            NDArray gradient = defined(kernel, name, gradients.get(i));
            floating(kernel, name, gradient);
            sameDevice(kernel, name, gradient, device);
        }
    }

    /**
     * Checks the arguments of {@code _amp_update_scale_} and of the {@code clamp_min_} that keeps
     * the scale at its floor.
     *
     * @param scale a single-element float32 scale
     * @param growthTracker a single-element int32 count on the scale's device
     * @param foundInf a single-element float32 flag on the scale's device
     * @param minScale a single-element float32 floor on the scale's device
     * @throws IllegalArgumentException naming the argument that does not fit
     */
    static void updateScale(
            NDArray scale, NDArray growthTracker, NDArray foundInf, NDArray minScale) {
        String kernel = "_amp_update_scale_";
        scalar(kernel, "scale", scale, DataType.FLOAT32);
        scalar(kernel, "growth_tracker", growthTracker, DataType.INT32);
        scalar(kernel, "found_inf", foundInf, DataType.FLOAT32);
        scalar("clamp_min_", "min", minScale, DataType.FLOAT32);
        Device device = scale.getDevice();
        sameDevice(kernel, "growth_tracker", growthTracker, device);
        sameDevice(kernel, "found_inf", foundInf, device);
        sameDevice("clamp_min_", "min", minScale, device);
    }

    /**
     * Checks the arguments of {@code _foreach_zero_}: every array defined.
     *
     * @param arrays the arrays to clear
     * @throws IllegalArgumentException naming a closed array
     */
    static void zero(List<NDArray> arrays) {
        for (int i = 0; i < arrays.size(); i++) {
            defined("_foreach_zero_", "array " + i, arrays.get(i));
        }
    }

    /**
     * Checks the arguments of {@code _foreach_copy_}: as many sources as targets, each pair of one
     * shape (types and devices may differ: the kernel converts and moves).
     *
     * @param sources the arrays copied from
     * @param targets the arrays copied into
     * @throws IllegalArgumentException naming the pair that does not fit
     */
    static void copy(List<NDArray> sources, List<NDArray> targets) {
        String kernel = "_foreach_copy_";
        if (sources.size() != targets.size()) {
            throw new IllegalArgumentException(
                    kernel
                            + ": "
                            + sources.size()
                            + " sources for "
                            + targets.size()
                            + " targets; accepted: one source per target.");
        }
        for (int i = 0; i < sources.size(); i++) {
            NDArray source = defined(kernel, "source " + i, sources.get(i));
            NDArray target = defined(kernel, "target " + i, targets.get(i));
            if (!source.getShape().equals(target.getShape())) {
                throw new IllegalArgumentException(
                        kernel
                                + ": source "
                                + i
                                + " has shape "
                                + source.getShape()
                                + ", its target "
                                + target.getShape()
                                + "; accepted: equal shapes.");
            }
        }
    }

    /**
     * Checks the arguments of a fused optimizer kernel ({@code _fused_sgd_}, {@code
     * _fused_adam_}, {@code _fused_adamw_}) for one launch.
     *
     * @param kernel the kernel's name, for the message
     * @param parameters floating arrays on one device
     * @param gradients one per parameter, of its type, shape and device
     * @param states per parameter, its state arrays, each of the parameter's type, shape and device
     * @param foundInf null, or a single-element float32 flag on the parameters' device
     * @throws IllegalArgumentException naming the argument that does not fit
     */
    static void fusedStep(
            String kernel,
            List<NDArray> parameters,
            List<NDArray> gradients,
            List<NDArray[]> states,
            NDArray foundInf) {
        if (gradients.size() != parameters.size() || states.size() != parameters.size()) {
            throw new IllegalArgumentException(
                    kernel
                            + ": "
                            + parameters.size()
                            + " parameters, "
                            + gradients.size()
                            + " gradients, "
                            + states.size()
                            + " states; accepted: one gradient and one state per parameter.");
        }
        if (parameters.isEmpty()) {
            return;
        }
        Device device = defined(kernel, "parameter 0", parameters.get(0)).getDevice();
        for (int i = 0; i < parameters.size(); i++) {
            String name = "parameter " + i;
            NDArray parameter = defined(kernel, name, parameters.get(i));
            floating(kernel, name, parameter);
            sameDevice(kernel, name, parameter, device);
            like(kernel, "gradient of " + name, gradients.get(i), parameter);
            NDArray[] state = states.get(i);
            for (int s = 0; s < state.length; s++) {
                like(kernel, "state " + s + " of " + name, state[s], parameter);
            }
        }
        if (foundInf != null) {
            scalar(kernel, "found_inf", foundInf, DataType.FLOAT32);
            sameDevice(kernel, "found_inf", foundInf, device);
        }
    }

    private static NDArray defined(String kernel, String name, NDArray array) {
        if (array == null || array.isReleased()) {
            throw new IllegalArgumentException(
                    kernel
                            + ": "
                            + name
                            + " is "
                            + (array == null ? "missing" : "closed")
                            + "; accepted: an open array.");
        }
        return array;
    }

    private static void scalar(String kernel, String name, NDArray array, DataType type) {
        defined(kernel, name, array);
        if (array.getDataType() != type || array.size() != 1) {
            throw new IllegalArgumentException(
                    kernel
                            + ": "
                            + name
                            + " is "
                            + array.getDataType()
                            + " of shape "
                            + array.getShape()
                            + "; accepted: one "
                            + type
                            + " element.");
        }
    }

    private static void floating(String kernel, String name, NDArray array) {
        if (!FLOATING.contains(array.getDataType())) {
            throw new IllegalArgumentException(
                    kernel
                            + ": "
                            + name
                            + " is "
                            + array.getDataType()
                            + "; accepted: float16, bfloat16, float32 or float64.");
        }
    }

    private static void sameDevice(String kernel, String name, NDArray array, Device device) {
        Device held = array.getDevice();
        // Device.equals ignores the id of CPUs; LibTorch has one CPU
        if (!held.equals(device) || held.isGpu() && held.getDeviceId() != device.getDeviceId()) {
            throw new IllegalArgumentException(
                    kernel
                            + ": "
                            + name
                            + " is on "
                            + held
                            + "; accepted: the same device as the others, "
                            + device
                            + ".");
        }
    }

    private static void like(String kernel, String name, NDArray array, NDArray parameter) {
        defined(kernel, name, array);
        if (array.getDataType() != parameter.getDataType()
                || !array.getShape().equals(parameter.getShape())) {
            throw new IllegalArgumentException(
                    kernel
                            + ": "
                            + name
                            + " is "
                            + array.getDataType()
                            + " "
                            + array.getShape()
                            + "; accepted: the parameter's type and shape, "
                            + parameter.getDataType()
                            + " "
                            + parameter.getShape()
                            + ".");
        }
        sameDevice(kernel, name, array, parameter.getDevice());
    }
}

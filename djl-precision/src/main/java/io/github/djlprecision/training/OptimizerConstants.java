package io.github.djlprecision.training;

import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.spi.DjlOptimizerFields;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks an optimizer's epsilon against the type of the parameters it updates. Recipes that keep
 * 16-bit parameters ({@code 16-true}, Apex O3) hand DJL's optimizers fp16 weights, gradients and
 * state, and the engine computes the update in that type: Adam's {@code m / (sqrt(v) + eps)} adds
 * the float epsilon to an fp16 tensor and rounds the sum to fp16 (LibTorch, DJL's {@code
 * adamUpdate}). DJL's default epsilon, 1e-8, is below half of fp16's smallest positive value 2^-24
 * (6e-8), so it rounds to 0; and {@code v} underflows to 0 for gradients below about 5e-3, so the
 * first step divides by 0 and writes inf or NaN into the weights. torch's Adam has the same trap in
 * pure fp16.
 *
 * <p>The rule: an epsilon that rounds to 0 in the parameter type is refused before anything is
 * allocated; one that is a subnormal number there (fp16: below 2^-14, 6.1e-5) trains, with a
 * warning that it sets the size of every update whose {@code v} underflowed ({@code lr * m / eps}).
 * Adam, AdamW, Adagrad, RmsProp and Adadelta have an epsilon; DJL 0.36 keeps it in a private field
 * without a getter ({@link DjlOptimizerFields}), and an optimizer it cannot be read from is trained
 * unchecked with a warning.
 */
final class OptimizerConstants {

    /** fp16's smallest normal number, 2^-14: the least epsilon that keeps full precision. */
    static final float HALF_MIN_NORMAL = 0x1p-14f;

    private static final Logger logger = LoggerFactory.getLogger(OptimizerConstants.class);

    private OptimizerConstants() {}

    /**
     * Returns why an optimizer cannot update parameters of a type, and warns about a constant that
     * survives only as a subnormal number.
     *
     * @param optimizer the user's optimizer
     * @param parameterType the type the optimizer updates (the plugin's parameter type)
     * @param precision the precision, for the messages
     * @return the problem, with the fix; empty if the optimizer can update that type
     */
    static Optional<String> problem(Optimizer optimizer, DataType parameterType, String precision) {
        float smallest = smallestPositive(parameterType);
        if (optimizer == null || smallest == 0f) {
            return Optional.empty();
        }
        String name = optimizer.getClass().getSimpleName();
        float epsilon;
        try {
            Optional<Float> read = DjlOptimizerFields.epsilon(optimizer);
            if (read.isEmpty()) {
                return Optional.empty();
            }
            epsilon = read.get();
        } catch (IllegalStateException e) {
            logger.warn(
                    "Cannot read the epsilon of {} ({}); {} runs its update in {} unchecked. An"
                            + " epsilon below {} is 0 there.",
                    name,
                    e.getMessage(),
                    precision,
                    parameterType,
                    smallest / 2);
            return Optional.empty();
        }
        if (epsilon <= smallest / 2) {
            return Optional.of(
                    name
                            + "'s epsilon "
                            + epsilon
                            + " is 0 in "
                            + parameterType
                            + " (its smallest positive value is "
                            + smallest
                            + "), and "
                            + precision
                            + " updates the parameters in "
                            + parameterType
                            + ": the update divides by 0 as soon as a squared gradient underflows,"
                            + " writing inf or NaN into the weights. Set optEpsilon(1e-4f) (from "
                            + HALF_MIN_NORMAL
                            + ", fp16's smallest normal number, up it stays exact), or train in"
                            + " '16-mixed' or amp_level O2, which keep the optimizer in float32.");
        }
        if (parameterType == DataType.FLOAT16 && epsilon < HALF_MIN_NORMAL) {
            logger.warn(
                    "{}'s epsilon {} is a subnormal number in float16 (below {}): {} keeps it,"
                            + " rounded, but it sets the size of every update whose squared"
                            + " gradient underflowed (lr * m / eps). Consider optEpsilon(1e-4f).",
                    name,
                    epsilon,
                    HALF_MIN_NORMAL,
                    precision);
        }
        return Optional.empty();
    }

    /** The smallest positive (subnormal) value of a 16-bit type; 0 for wider types. */
    private static float smallestPositive(DataType type) {
        switch (type) {
            case FLOAT16:
                return 0x1p-24f;
            case BFLOAT16:
                return 0x1p-133f;
            default:
                return 0f;
        }
    }
}

package io.github.djlprecision.compat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer;

/**
 * Draws weights in float32 and casts them to the type asked for, so that a float16 or float64 model
 * starts from the same values (rounded) as the float32 reference. Without it each type draws its
 * own random numbers, and a comparison with {@code 32-true} measures two different models.
 *
 * <p>Set it on the workload's training configuration, e.g. {@code config.optInitializer(new
 * SameInEveryTypeInitializer(), Parameter.Type.WEIGHT)}; the matrix applies those initializers for
 * inference cells too.
 */
public final class SameInEveryTypeInitializer implements Initializer {

    private final Initializer float32 = new XavierInitializer();

    /**
     * Creates the array: Xavier values drawn in float32, then cast.
     *
     * @param manager the manager of the new array
     * @param shape its shape
     * @param dataType float16, float32 or float64
     * @return the initialized array
     * @throws IllegalArgumentException for a type DJL cannot cast to without handing it to native
     *     code that aborts the JVM (bfloat16, unknown)
     */
    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        if (dataType == DataType.BFLOAT16 || dataType == DataType.UNKNOWN) {
            // toType(BFLOAT16) aborts the JVM in DJL 0.36: refuse instead
            throw new IllegalArgumentException(
                    "cannot initialize " + dataType + " parameters through DJL");
        }
        NDArray drawn = float32.initialize(manager, shape, DataType.FLOAT32);
        if (dataType == DataType.FLOAT32) {
            return drawn;
        }
        try (drawn) {
            return drawn.toType(dataType, false);
        }
    }
}

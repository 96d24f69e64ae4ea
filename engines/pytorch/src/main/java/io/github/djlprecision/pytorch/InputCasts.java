package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * Converts a batch's inputs to the type a model computes in, never changing a value silently.
 * Inputs are data, not parameters, so DJL's detaching {@code toType} is fine here; outputs use
 * {@link io.github.djlprecision.plugins.GraphCasts}, which stays in the autograd graph.
 *
 * <p>Integer and boolean arrays (indices, masks) pass unchanged. A floating array cast to a
 * narrower type is checked on every batch: if its values are all whole numbers (ids or counts
 * stored as floats, common in DJL datasets) and the cast would change one (fp16 holds every whole
 * number only up to 2048), the batch is refused with an {@link IllegalArgumentException}. Every
 * batch, not only the first: a later batch may hold larger ids, and DJL's training loop reads the
 * loss to the host every batch anyway. Fractional values are rounded and large ones overflow to
 * infinity, which is what the narrower type means (the loss scaler of Apex O2 skips such steps, as
 * Apex does). Widening casts (e.g. to fp64) are exact and are not checked.
 */
final class InputCasts {

    private InputCasts() {}

    /**
     * Casts every fp16, fp32 or fp64 array of a batch to one type; integer and boolean arrays
     * (indices, masks) pass unchanged.
     *
     * @param input the batch
     * @param type the floating type the model computes in
     * @return the converted batch
     * @throws IllegalArgumentException if a narrowing cast would change whole-number values or
     *     overflow, naming the input, its largest value and the limit
     */
    static NDList toFloating(NDList input, DataType type) {
        NDList converted = new NDList(input.size());
        for (int i = 0; i < input.size(); i++) {
            NDArray array = input.get(i);
            if (isFloating(array.getDataType()) && array.getDataType() != type) {
                NDArray cast = array.toType(type, false);
                if (width(type) < width(array.getDataType())) {
                    checkExact(i, array, cast);
                }
                cast.setName(array.getName());
                converted.add(cast);
            } else {
                converted.add(array);
            }
        }
        return converted;
    }

    /**
     * Returns whether DJL can name this floating type (bf16 reads as UNKNOWN and is excluded).
     *
     * @param type a data type
     * @return true for fp16, fp32 and fp64
     */
    static boolean isFloating(DataType type) {
        return type == DataType.FLOAT16 || type == DataType.FLOAT32 || type == DataType.FLOAT64;
    }

    /**
     * Refuses a cast that would change whole-number data. Fractional data costs three fp32
     * operations and one read of one number; only whole-number data takes the exact check.
     *
     * @param index the input's position, for the message
     * @param array the input
     * @param cast the input cast to the narrower type
     */
    private static void checkExact(int index, NDArray array, NDArray cast) {
        if (!isWholeNumbers(array) || !changesFiniteValues(array, cast)) {
            return;
        }
        DataType type = cast.getDataType();
        String name =
                "Input " + index + (array.getName() == null ? "" : " ('" + array.getName() + "')");
        throw new IllegalArgumentException(
                name
                        + " holds whole numbers up to "
                        + (long) largestFiniteMagnitude(array)
                        + " in magnitude (indices or counts?), and "
                        + type.name().toLowerCase(Locale.ROOT)
                        + " cannot hold all of them (it holds every whole number only up to "
                        + (long) largestExactInteger(type)
                        + "): casting it would change them silently. Pass such data as an integer"
                        + " array (INT32 or INT64 inputs pass unchanged), or train in a mixed"
                        + " precision (16-mixed or bf16-mixed), which leaves inputs as they are.");
    }

    /**
     * Whether every value is a whole number: their fractional parts sum to 0 (NaN or infinity make
     * the sum NaN, so such data does not count as whole numbers).
     */
    private static boolean isWholeNumbers(NDArray array) {
        try (NDManager scope = NDManager.subManagerOf(array)) {
            scope.tempAttachAll(array);
            NDArray fractions = array.sub(array.floor()).sum();
            return fractions.toType(DataType.FLOAT64, false).getDouble() == 0;
        }
    }

    /** Whether the cast changed a finite value (overflow to infinity included). */
    private static boolean changesFiniteValues(NDArray array, NDArray cast) {
        try (NDManager scope = NDManager.subManagerOf(array)) {
            scope.tempAttachAll(array, cast);
            NDArray finite = array.isInfinite().logicalOr(array.isNaN()).logicalNot();
            NDArray back = cast.toType(array.getDataType(), false);
            return back.neq(array).logicalAnd(finite).any().getBoolean();
        }
    }

    private static double largestFiniteMagnitude(NDArray array) {
        try (NDManager scope = NDManager.subManagerOf(array)) {
            scope.tempAttachAll(array);
            NDArray finite = array.isInfinite().logicalOr(array.isNaN()).logicalNot();
            return NDArrays.where(finite, array.abs(), array.zerosLike())
                    .max()
                    .toType(DataType.FLOAT64, false)
                    .getDouble();
        }
    }

    private static int width(DataType type) {
        return type.getNumOfBytes();
    }

    /** Every whole number up to 2^(significand bits + 1) is exact. */
    private static double largestExactInteger(DataType type) {
        switch (type) {
            case FLOAT16:
                return 1 << 11;
            case FLOAT32:
                return 1 << 24;
            default:
                return Math.pow(2, 53);
        }
    }
}

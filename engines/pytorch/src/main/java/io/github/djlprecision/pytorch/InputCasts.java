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
 * narrower type is checked on every batch, with one device read of two numbers per array: if its
 * values are all whole numbers (ids or counts stored as floats, common in DJL datasets) and the
 * cast changes any of them, or a finite value overflows to infinity, the cast is refused with an
 * {@link IllegalArgumentException}. Every batch, not only the first: a later batch may hold larger
 * ids, and DJL's training loop reads the loss to the host every batch anyway. Fractional values are
 * rounded, which is what a 16-bit type means. Widening casts (e.g. to fp64) are exact and are not
 * checked.
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
     * Refuses a cast that would change whole-number data or overflow. The common case (fractional
     * data in range) costs four fp32 operations and one read of two numbers; only whole-number
     * data, values near the type's range, and arrays holding NaN or infinity take the exact check.
     *
     * @param index the input's position, for the message
     * @param array the input
     * @param cast the input cast to the narrower type
     */
    private static void checkExact(int index, NDArray array, NDArray cast) {
        DataType type = cast.getDataType();
        double[] quick = quickStats(array);
        // the fractional parts of whole numbers sum to 0; NaN or infinity make the sum NaN
        boolean wholeNumbers = quick[0] == 0;
        boolean inRange = quick[1] <= largestFinite(type);
        if (!wholeNumbers && inRange) {
            return;
        }
        boolean[] flags = changes(array, cast);
        boolean changed = flags[0];
        boolean overflow = flags[1];
        if (!overflow && !(wholeNumbers && changed)) {
            return;
        }
        String typeName = type.name().toLowerCase(Locale.ROOT);
        String name =
                "Input " + index + (array.getName() == null ? "" : " ('" + array.getName() + "')");
        double largest = largestFiniteMagnitude(array);
        if (wholeNumbers) {
            throw new IllegalArgumentException(
                    name
                            + " holds whole numbers up to "
                            + (long) largest
                            + " in magnitude (indices or counts?), and "
                            + typeName
                            + " cannot hold all of them (it holds every whole number only up to "
                            + (long) largestExactInteger(type)
                            + "): casting it would change them silently. Pass such data as an"
                            + " integer array (INT32 or INT64 inputs pass unchanged), or train in a"
                            + " mixed precision (16-mixed or bf16-mixed), which leaves inputs as"
                            + " they are.");
        }
        throw new IllegalArgumentException(
                name
                        + " holds values up to "
                        + largest
                        + " in magnitude, beyond the range of "
                        + typeName
                        + " (largest finite value "
                        + largestFinite(type)
                        + "): casting it would make them infinite. Scale the data into range, or"
                        + " train in a mixed precision (16-mixed or bf16-mixed), which leaves"
                        + " inputs as they are.");
    }

    /** The sum of the fractional parts and the largest magnitude, in one transfer. */
    private static double[] quickStats(NDArray array) {
        try (NDManager scope = NDManager.subManagerOf(array)) {
            scope.tempAttachAll(array);
            NDArray fractions = array.sub(array.floor()).sum();
            NDArray largest = array.abs().max();
            return NDArrays.stack(new NDList(fractions, largest))
                    .toType(DataType.FLOAT64, false)
                    .toDoubleArray();
        }
    }

    /**
     * Reads, in one transfer, whether the cast changed a finite value and whether it made one
     * infinite. NaN and infinity stay what they are in every floating type, so they are left out.
     */
    private static boolean[] changes(NDArray array, NDArray cast) {
        try (NDManager scope = NDManager.subManagerOf(array)) {
            scope.tempAttachAll(array, cast);
            NDArray finite = array.isInfinite().logicalOr(array.isNaN()).logicalNot();
            NDArray back = cast.toType(array.getDataType(), false);
            NDArray changed = back.neq(array).logicalAnd(finite).any();
            NDArray overflow = back.isInfinite().logicalAnd(finite).any();
            return NDArrays.stack(new NDList(changed, overflow)).toBooleanArray();
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

    private static double largestFinite(DataType type) {
        switch (type) {
            case FLOAT16:
                return 65504;
            case FLOAT32:
                return Float.MAX_VALUE;
            default:
                return Double.MAX_VALUE;
        }
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

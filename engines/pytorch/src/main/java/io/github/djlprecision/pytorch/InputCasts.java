package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * Converts a batch's inputs to the type a model computes in. Inputs are data, not parameters, so
 * DJL's detaching {@code toType} is fine here; outputs use {@link
 * io.github.djlprecision.plugins.GraphCasts}, which stays in the autograd graph.
 */
final class InputCasts {

    private InputCasts() {}

    /**
     * Casts every fp16, fp32 or fp64 array of a batch to one type; integer and boolean arrays
     * (indices, masks) pass unchanged. Inputs are data, not parameters, so leaving the graph is fine.
     *
     * @param input the batch
     * @param type the floating type the model computes in
     * @return the converted batch
     */
    static NDList toFloating(NDList input, DataType type) {
        NDList converted = new NDList(input.size());
        for (NDArray array : input) {
            if (isFloating(array.getDataType()) && array.getDataType() != type) {
                NDArray cast = array.toType(type, false);
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
}

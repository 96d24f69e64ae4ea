package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Data type conversions at the model's boundary on LibTorch.
 *
 * <p>DJL's {@code NDArray.toType} runs LibTorch's {@code to} under a {@code NoGradGuard}: its result
 * is cut from the autograd graph, so a loss computed on it cannot reach the parameters. Outputs are
 * therefore cast by type promotion instead: adding a one-element fp32 zero promotes a 16-bit tensor
 * to fp32 exactly, inside the graph. It also works on the bf16 outputs DJL reads as {@code UNKNOWN},
 * since no data type is handed to native code.
 */
final class GraphCasts {

    private GraphCasts() {}

    /**
     * Casts an array to fp32, keeping it in the autograd graph.
     *
     * @param array a 16-bit (or bf16, read as UNKNOWN) floating array
     * @return the fp32 array, named as the input
     */
    static NDArray toFloat32(NDArray array) {
        try (NDArray zero = array.getManager().zeros(new Shape(1), DataType.FLOAT32)) {
            NDArray converted = array.add(zero);
            converted.setName(array.getName());
            return converted;
        }
    }

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

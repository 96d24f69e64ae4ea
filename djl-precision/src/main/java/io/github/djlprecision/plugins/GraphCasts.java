package io.github.djlprecision.plugins;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Casts that stay in the autograd graph. DJL's {@code NDArray.toType} detaches its result (the
 * PyTorch engine runs LibTorch's {@code to} under a {@code NoGradGuard}), so a loss computed on a
 * {@code toType} result never reaches the parameters.
 */
public final class GraphCasts {

    private GraphCasts() {}

    /**
     * Casts a 16-bit floating array to fp32 by adding an fp32 zero of the same rank: type
     * promotion widens exactly, keeps the shape and the graph, and hands no data type to native
     * code, so it also works on the bf16 arrays DJL reads as {@code UNKNOWN}. The zero is made on
     * the array's device, which on a second GPU is not its manager's.
     *
     * @param array a 16-bit floating array
     * @return the fp32 array, named as the input
     */
    public static NDArray toFloat32(NDArray array) {
        long[] ones = new long[array.getShape().dimension()];
        Arrays.fill(ones, 1);
        try (NDArray zero = array.getManager().zeros(new Shape(ones), DataType.FLOAT32, array.getDevice())) {
            NDArray converted = array.add(zero);
            converted.setName(array.getName());
            return converted;
        }
    }

    /**
     * Casts every 16-bit floating array of a list to fp32 with {@link #toFloat32(NDArray)}, and
     * keeps every other array as it is: the one output cast of every recipe (Lightning's {@code
     * convert_output}), so that the loss, and DJL's softmax, run in fp32.
     *
     * @param arrays e.g. a forward pass's outputs
     * @return a new list, in the same order
     */
    public static NDList toFloat32(NDList arrays) {
        NDList converted = new NDList(arrays.size());
        for (NDArray array : arrays) {
            converted.add(isHalf(array.getDataType()) ? toFloat32(array) : array);
        }
        return converted;
    }

    /**
     * Returns whether a data type is a 16-bit float as an engine reports it: DJL reads LibTorch's
     * bfloat16 as {@link DataType#UNKNOWN}.
     *
     * @param type a data type
     * @return true for {@code FLOAT16}, {@code BFLOAT16} and {@code UNKNOWN}
     */
    public static boolean isHalf(DataType type) {
        return type == DataType.FLOAT16 || type == DataType.BFLOAT16 || type == DataType.UNKNOWN;
    }
}

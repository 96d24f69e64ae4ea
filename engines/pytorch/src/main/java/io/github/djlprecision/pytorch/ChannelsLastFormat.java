package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv2dTranspose;
import ai.djl.util.Pair;

/**
 * Puts 4-D tensors in the channels-last memory format through {@link LibTorchMemoryFormat}:
 * parameters once, in place (the same leaf tensors, as PyTorch's {@code
 * model.to(memory_format=torch.channels_last)}), and inputs per batch, as new arrays in the
 * input's manager (the caller's arrays are left as they are). Only floating tensors are touched.
 */
final class ChannelsLastFormat {

    private final LibTorchMemoryFormat format;

    ChannelsLastFormat(LibTorchMemoryFormat format) {
        this.format = format;
    }

    /**
     * Returns whether a block tree holds a 2-D convolution, whose weights are 4-D.
     *
     * @param block the root
     * @return true if a {@code Conv2d} or {@code Conv2dTranspose} is in it, or an initialized 4-D
     *     parameter
     */
    static boolean hasConvolutions(Block block) {
        if (block instanceof Conv2d || block instanceof Conv2dTranspose) {
            return true;
        }
        for (Pair<String, Parameter> parameter : block.getDirectParameters()) {
            Parameter p = parameter.getValue();
            if (p.isInitialized() && isFourDimensional(p.getArray())) {
                return true;
            }
        }
        for (Pair<String, Block> child : block.getChildren()) {
            if (hasConvolutions(child.getValue())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Converts every floating 4-D parameter of a block tree to channels-last, in place, without
     * recording anything for autograd.
     *
     * @param block the root
     * @return how many parameters are channels-last afterwards
     */
    int convertParameters(Block block) {
        int converted = 0;
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter parameter = entry.getValue();
            if (!parameter.isInitialized() || !isFourDimensional(parameter.getArray())) {
                continue;
            }
            NDArray array = parameter.getArray();
            if (!isChannelsLast(array)) {
                try (NDArray detached = array.stopGradient();
                        NDArray nhwc = format.toFormat(detached, LibTorchMemoryFormat.CHANNELS_LAST)) {
                    format.setData(array, nhwc);
                }
            }
            converted++;
        }
        return converted;
    }

    /**
     * Returns the inputs with every floating 4-D array in channels-last; autograd sees the
     * conversion.
     *
     * @param input the batch's inputs
     * @return the same list if nothing is 4-D, else a new list
     */
    NDList convertInputs(NDList input) {
        NDList converted = null;
        for (int i = 0; i < input.size(); i++) {
            NDArray array = input.get(i);
            if (isFourDimensional(array) && !isChannelsLast(array)) {
                if (converted == null) {
                    converted = new NDList(input);
                }
                NDArray nhwc = format.toFormat(array, LibTorchMemoryFormat.CHANNELS_LAST);
                nhwc.setName(array.getName());
                converted.set(i, nhwc);
            }
        }
        return converted == null ? input : converted;
    }

    /**
     * Returns whether a 4-D array has channels-last strides, dimensions of size 1 aside (LibTorch
     * ignores their strides too).
     *
     * @param array the array
     * @return true if its strides are NHWC's for its NCHW shape
     */
    boolean isChannelsLast(NDArray array) {
        Shape shape = array.getShape();
        if (shape.dimension() != 4) {
            return false;
        }
        return sameStrides(shape, format.strides(array), channelsLastStrides(shape));
    }

    /**
     * Returns whether two arrays of one shape lay their elements out alike, dimensions of size 1
     * aside: what LibTorch's multi-tensor kernels require of a parameter, its gradient and its
     * optimizer state.
     *
     * @param a one array
     * @param b another of the same shape
     * @return true if their strides agree
     */
    boolean sameLayout(NDArray a, NDArray b) {
        Shape shape = a.getShape();
        return shape.equals(b.getShape())
                && sameStrides(shape, format.strides(a), format.strides(b));
    }

    /**
     * Returns an array in the memory format of another: the array itself when it already is.
     *
     * @param like the array whose format to follow (channels-last or contiguous)
     * @param array the array to convert
     * @return {@code array}, or a new array in its manager
     */
    NDArray inFormatOf(NDArray like, NDArray array) {
        if (sameLayout(like, array)) {
            return array;
        }
        return format.toFormat(
                array,
                isChannelsLast(like)
                        ? LibTorchMemoryFormat.CHANNELS_LAST
                        : LibTorchMemoryFormat.CONTIGUOUS);
    }

    /**
     * Gives an array the memory format of another, in place (its handle stays valid).
     *
     * @param like the array whose format to follow
     * @param array the array to change, e.g. an optimizer's state
     */
    void matchFormat(NDArray like, NDArray array) {
        NDArray converted = inFormatOf(like, array);
        if (converted != array) {
            format.setData(array, converted);
            converted.close();
        }
    }

    static boolean isFourDimensional(NDArray array) {
        return array.getShape().dimension() == 4 && array.getDataType().isFloating();
    }

    private static long[] channelsLastStrides(Shape shape) {
        long c = shape.get(1);
        long h = shape.get(2);
        long w = shape.get(3);
        return new long[] {h * w * c, 1, w * c, c};
    }

    private static boolean sameStrides(Shape shape, long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            if (shape.get(i) != 1 && a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }
}

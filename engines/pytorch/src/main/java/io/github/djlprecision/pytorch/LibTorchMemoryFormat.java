package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * LibTorch's memory formats ({@code torch.channels_last}), called by symbol name through JNA from
 * the libtorch DJL loaded: DJL has no binding for them.
 *
 * <p>{@code at::_ops::contiguous::call(const Tensor&, MemoryFormat)} returns an {@code at::Tensor}
 * by hidden pointer; the slot it is built in is allocated with C++'s {@code operator new}, so that
 * the slot is a {@code torch::Tensor*} exactly as DJL's own handles are, and DJL frees it with
 * {@code delete} when the array closes. {@code at::_ops::set_data::call(Tensor&, const Tensor&)}
 * then gives an existing tensor (a parameter) the new layout in place, as PyTorch's {@code p.data =
 * ...} does. {@code at::_ops::stride_int::call(const Tensor&, int64_t)} reads strides.
 */
final class LibTorchMemoryFormat {

    /** {@code c10::MemoryFormat::Contiguous}: row-major, NCHW for a 4-D tensor. */
    static final byte CONTIGUOUS = 0;

    /** {@code c10::MemoryFormat::ChannelsLast}: NHWC strides for an NCHW-shaped tensor. */
    static final byte CHANNELS_LAST = 2;

    private static final String OPS = "_ZN2at4_ops";

    private static volatile LibTorchMemoryFormat instance;

    private final Function contiguous;
    private final Function setData;
    private final Function stride;
    private final Function operatorNew;

    private LibTorchMemoryFormat(NativeLibrary lib) {
        contiguous = lib.getFunction(OPS + "10contiguous4callERKNS_6TensorEN3c1012MemoryFormatE");
        setData = lib.getFunction(OPS + "8set_data4callERNS_6TensorERKS2_");
        stride = lib.getFunction(OPS + "10stride_int4callERKNS_6TensorEl");
        // libstdc++'s operator new(size_t), found through libtorch's dependencies
        operatorNew = lib.getFunction("_Znwm");
    }

    /**
     * Returns the bridge, resolving every symbol on first use.
     *
     * @return the bridge
     * @throws LibTorchUnavailableException naming the library and the missing symbol
     */
    static LibTorchMemoryFormat get() {
        LibTorchMemoryFormat format = instance;
        if (format == null) {
            synchronized (LibTorchMemoryFormat.class) {
                format = instance;
                if (format == null) {
                    String lib = LibTorchAmp.libtorchCpu().toString();
                    try {
                        format = new LibTorchMemoryFormat(NativeLibrary.getInstance(lib));
                    } catch (UnsatisfiedLinkError e) {
                        throw new LibTorchUnavailableException(
                                "LibTorch at " + lib + " lacks a memory-format symbol: " + e.getMessage());
                    }
                    instance = format;
                }
            }
        }
        return format;
    }

    /**
     * Returns a tensor with the same values in a memory format, as torch's {@code
     * tensor.contiguous(memory_format=...)}: the array itself (a new handle to the same tensor)
     * when it already has that format. Autograd records the conversion like any other operation.
     *
     * @param array the array
     * @param memoryFormat {@link #CONTIGUOUS} or {@link #CHANNELS_LAST}
     * @return a new array in the array's manager
     */
    PtNDArray toFormat(NDArray array, byte memoryFormat) {
        Pointer slot = operatorNew.invokePointer(new Object[] {(long) Long.BYTES});
        contiguous.invokeVoid(
                new Object[] {slot, new Pointer(LibTorchAmpKernels.handle(array)), memoryFormat});
        return new PtNDArray((PtNDManager) array.getManager(), Pointer.nativeValue(slot));
    }

    /**
     * Points a tensor at another tensor's data, strides included, as PyTorch's {@code
     * tensor.data = source}: the tensor keeps its identity (a parameter stays the same leaf).
     *
     * @param target the tensor to change
     * @param source the data to take
     */
    void setData(NDArray target, NDArray source) {
        setData.invokeVoid(
                new Object[] {
                    new Pointer(LibTorchAmpKernels.handle(target)),
                    new Pointer(LibTorchAmpKernels.handle(source))
                });
    }

    /**
     * Returns a tensor's strides, in elements.
     *
     * @param array the array
     * @return one stride per dimension
     */
    long[] strides(NDArray array) {
        int dims = array.getShape().dimension();
        Pointer tensor = new Pointer(LibTorchAmpKernels.handle(array));
        long[] strides = new long[dims];
        for (int i = 0; i < dims; i++) {
            strides[i] = stride.invokeLong(new Object[] {tensor, (long) i});
        }
        return strides;
    }
}

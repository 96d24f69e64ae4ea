package io.github.djlprecision.distributed;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.LibUtils;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory behind a DJL PyTorch array, found through LibTorch's DLPack export ({@code
 * at::toDLPack}): DJL's array handle is a {@code torch::Tensor*}, and DLPack's {@code DLTensor} is a
 * plain C struct with the data pointer, device, type, shape and strides. Collectives then read and
 * write the array in place.
 */
final class TensorMemory {

    // offsets in DLManagedTensor (dlpack.h, 64-bit): DLTensor then manager_ctx and deleter
    private static final int DATA = 0;
    private static final int DEVICE_TYPE = 8;
    private static final int NDIM = 16;
    private static final int SHAPE = 24;
    private static final int STRIDES = 32;
    private static final int BYTE_OFFSET = 40;
    private static final int DELETER = 56;
    private static final int DL_CPU = 1;

    private static volatile Function toDlpack;

    private TensorMemory() {}

    /**
     * Returns the data pointer of a contiguous CPU array. The pointer is valid while the array is
     * open.
     *
     * @param array a PyTorch array on the CPU
     * @return where its first element is
     * @throws IllegalArgumentException when the array is not a contiguous CPU PyTorch array
     */
    static Pointer dataPointer(NDArray array) {
        if (!(array instanceof PtNDArray pt)) {
            throw new IllegalArgumentException(
                    "collectives run on DJL PyTorch arrays, got " + array.getClass().getName());
        }
        Pointer managed = (Pointer) function().invoke(Pointer.class, new Object[] {new Pointer(pt.getHandle())});
        try {
            if (managed.getInt(DEVICE_TYPE) != DL_CPU) {
                throw new IllegalArgumentException(
                        "this collective reads CPU memory, the array is on " + array.getDevice());
            }
            int ndim = managed.getInt(NDIM);
            Pointer strides = managed.getPointer(STRIDES);
            Pointer shape = managed.getPointer(SHAPE);
            long expected = 1;
            for (int d = ndim - 1; strides != null && d >= 0; d--) {
                long size = shape.getLong(8L * d);
                if (size > 1 && strides.getLong(8L * d) != expected) {
                    throw new IllegalArgumentException(
                            "collectives need contiguous arrays, got strides over shape "
                                    + array.getShape());
                }
                expected *= size;
            }
            return managed.getPointer(DATA).share(managed.getLong(BYTE_OFFSET));
        } finally {
            Pointer deleter = managed.getPointer(DELETER);
            if (deleter != null) {
                Function.getFunction(deleter).invokeVoid(new Object[] {managed});
            }
        }
    }

    /** Returns the C interface's code of a DJL data type. */
    static int typeCode(DataType type) {
        return switch (type) {
            case FLOAT32 -> GlooLibrary.FLOAT32;
            case FLOAT64 -> GlooLibrary.FLOAT64;
            case FLOAT16 -> GlooLibrary.FLOAT16;
            case INT32 -> GlooLibrary.INT32;
            case INT64 -> GlooLibrary.INT64;
            case UINT8, BOOLEAN -> GlooLibrary.UINT8;
            default -> throw new IllegalArgumentException(
                    "collectives reduce float32, float64, float16, int32, int64, uint8 and boolean"
                            + " arrays, got "
                            + type);
        };
    }

    private static Function function() {
        Function function = toDlpack;
        if (function == null) {
            synchronized (TensorMemory.class) {
                if (toDlpack == null) {
                    Engine.getEngine("PyTorch"); // loads LibTorch, so that LibUtils knows where
                    Path lib =
                            Path.of(LibUtils.getLibtorchPath(), System.mapLibraryName("torch_cpu"));
                    if (!Files.isRegularFile(lib)) {
                        throw new IllegalStateException("libtorch_cpu not found at " + lib);
                    }
                    toDlpack =
                            NativeLibrary.getInstance(lib.toString())
                                    .getFunction("_ZN2at8toDLPackERKNS_6TensorE");
                }
                function = toDlpack;
            }
        }
        return function;
    }
}

package io.github.djlprecision.compat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.Locale;
import java.util.Set;

/**
 * Data types as the matrix proves them. An engine that cannot name bfloat16 through DJL (PyTorch
 * reads it as {@link DataType#UNKNOWN}) still counts as bfloat16 when the array's values are
 * bf16-exact: widened to fp32, the low 16 bits of every value are zero. Only {@code
 * toType(FLOAT32)} touches such an array: it passes the target type, never the unnamed one, to
 * native code.
 */
public final class DataTypes {

    private DataTypes() {}

    /**
     * Returns whether every value of an array is exactly representable in bfloat16.
     *
     * @param array a floating-point array
     * @return true if every value has 8 significant bits or fewer
     */
    public static boolean isBfloat16Exact(NDArray array) {
        try (NDArray wide = array.toType(DataType.FLOAT32, true)) {
            for (float value : wide.toFloatArray()) {
                if (!isBfloat16Exact(value)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Returns whether a value is exactly representable in bfloat16.
     *
     * @param value an fp32 value
     * @return true if the low 16 bits of its fp32 encoding are zero
     */
    public static boolean isBfloat16Exact(float value) {
        return (Float.floatToRawIntBits(value) & 0xFFFF) == 0;
    }

    /**
     * Returns the data type an array really holds: its DJL type, or {@link DataType#BFLOAT16} for
     * an unnamed type with bf16-exact values.
     *
     * @param array the array
     * @return the proven type, or {@link DataType#UNKNOWN} when nothing is proven
     */
    public static DataType proven(NDArray array) {
        DataType type = array.getDataType();
        if (type == DataType.UNKNOWN && isBfloat16Exact(array)) {
            return DataType.BFLOAT16;
        }
        return type;
    }

    /**
     * Returns whether an array holds one of some data types.
     *
     * @param array the array
     * @param allowed the allowed types
     * @return true if its proven type is allowed
     */
    public static boolean isOneOf(NDArray array, Set<DataType> allowed) {
        return allowed.contains(proven(array));
    }

    /**
     * Returns a readable name of an array's type, saying how bfloat16 was proven.
     *
     * @param array the array
     * @return e.g. {@code "float16"} or {@code "bfloat16 (DJL: UNKNOWN, values bf16-exact)"}
     */
    public static String describe(NDArray array) {
        DataType type = array.getDataType();
        DataType proven = proven(array);
        String name = name(proven);
        return type == proven ? name : name + " (DJL: " + type + ", values bf16-exact)";
    }

    /**
     * Returns the bytes an array occupies in its proven type.
     *
     * @param array the array
     * @return the bytes
     * @throws IllegalStateException for a type whose size is not known
     */
    public static long bytes(NDArray array) {
        DataType proven = proven(array);
        if (proven == DataType.UNKNOWN) {
            throw new IllegalStateException(
                    "Cannot size an array whose type DJL cannot name and whose values are not"
                            + " bf16-exact");
        }
        return array.size() * proven.getNumOfBytes();
    }

    /**
     * Returns a type's lower-case name, as the report prints it.
     *
     * @param type the type
     * @return e.g. {@code "bfloat16"}
     */
    public static String name(DataType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SymbolBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.nn.transformer.BertBlock;
import io.github.djlprecision.WeightConversion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts a model's fp32 weights to fp16 once, for inference: PyTorch's {@code model.half()}
 * serving recipe, with the norm layers LibTorch can run on fp16 inputs with fp32 parameters kept in
 * fp32, as Apex O2 keeps them:
 *
 * <ul>
 *   <li>batch norm (running statistics included) always: its kernels take fp16 inputs with fp32
 *       parameters on the CPU and in cuDNN, which autocast relies on too;
 *   <li>layer norm only for a forward under autocast, which runs layer norm in fp32. Without
 *       autocast its parameters become fp16, as in {@code model.half()}: LibTorch's CUDA layer-norm
 *       kernel reads them in the input's type ({@code gamma.const_data_ptr<T>()} in {@code
 *       layer_norm_kernel.cu}), and computes the statistics in fp32 either way.
 * </ul>
 *
 * <p>DJL cannot cast a parameter ({@code Block.cast} throws, {@code Parameter.setArray} refuses
 * once set), but {@link Parameter#load} replaces a parameter's array with whatever array the stream
 * holds, of any data type. So each weight is cast on its device, written in DJL's own parameter
 * format through a carrier {@link Parameter} of the same name, the fp32 array is closed (its memory
 * released), and {@code load} reads the fp16 array back onto the same device. Only public DJL API
 * is used; the round trip through host memory happens once per weight.
 */
final class Fp16Weights {

    /** float16's largest finite value: larger fp32 weights would become infinite. */
    static final float MAX_FLOAT16 = 65504f;

    /** The value of {@link WeightConversion#PROPERTY} for a converted model. */
    static final String FLOAT16 = "float16";

    private Fp16Weights() {}

    /**
     * Lists why a model's weights cannot be converted to fp16 and run, or an empty list. Reads the
     * parameters' ranges; allocates nothing that outlives the call.
     *
     * @param root the model's block, its parameters created
     * @param underAutocast whether the converted model runs under autocast, which casts a block's
     *     own fp32 arrays where they meet fp16 ones; without it LibTorch refuses to mix them
     * @return one problem per reason, naming the block or parameter
     */
    static List<String> problems(Block root, boolean underAutocast) {
        List<String> problems = new ArrayList<>();
        blockProblems("", root, underAutocast, problems);
        if (!problems.isEmpty()) {
            return problems;
        }
        Set<Parameter> kept = keptInFloat32(root, underAutocast);
        for (Map.Entry<String, Parameter> entry : unique(root).entrySet()) {
            Parameter parameter = entry.getValue();
            NDArray array = parameter.getArray();
            DataType type = array.getDataType();
            if (type == DataType.UNKNOWN) {
                problems.add(
                        "Parameter "
                                + entry.getKey()
                                + " has a data type DJL cannot name (bfloat16 reads as UNKNOWN):"
                                + " DJL cannot hold bfloat16 parameters without aborting the JVM,"
                                + " so they cannot be converted.");
            } else if (!kept.contains(parameter) && type == DataType.FLOAT32) {
                float max = largestMagnitude(array);
                if (max > MAX_FLOAT16 && Float.isFinite(max)) {
                    problems.add(
                            "Parameter "
                                    + entry.getKey()
                                    + " holds values up to "
                                    + max
                                    + " in magnitude, beyond float16's largest finite value "
                                    + MAX_FLOAT16
                                    + ": converted, they would become infinite.");
                }
            } else if (!kept.contains(parameter) && type.isFloating() && type != DataType.FLOAT16) {
                problems.add(
                        "Parameter "
                                + entry.getKey()
                                + " is "
                                + type
                                + ": only float32 weights are converted to float16. Run the"
                                + " model in the precision of its parameters ('64-true' for"
                                + " float64), or load a float32 model.");
            }
        }
        return problems;
    }

    /**
     * Returns whether a model holds fp16 weights and no fp32 weight outside its norm layers, i.e.
     * needs no conversion.
     *
     * @param root the model's block, its parameters created
     * @param underAutocast whether the model will run under autocast (see the class comment)
     * @return true if converted (or created in fp16)
     */
    static boolean isConverted(Block root, boolean underAutocast) {
        Set<Parameter> kept = keptInFloat32(root, underAutocast);
        boolean half = false;
        for (Parameter parameter : unique(root).values()) {
            DataType type = parameter.getArray().getDataType();
            if (!kept.contains(parameter) && type == DataType.FLOAT32) {
                return false;
            }
            half |= type == DataType.FLOAT16;
        }
        return half;
    }

    /**
     * Returns a parameter outside the norm layers held in fp16, if any: a model whose weights were
     * converted (or created in fp16).
     *
     * @param root the model's block
     * @return the name of one such parameter, or null
     */
    static String firstFp16Weight(Block root) {
        Set<Parameter> kept = keptInFloat32(root, true);
        for (Map.Entry<String, Parameter> entry : unique(root).entrySet()) {
            Parameter parameter = entry.getValue();
            if (!kept.contains(parameter)
                    && parameter.isInitialized()
                    && parameter.getArray().getDataType() == DataType.FLOAT16) {
                return entry.getKey();
            }
        }
        return null;
    }

    /**
     * Converts every fp32 parameter but those kept in fp32 (see the class comment) to fp16 in
     * place, releasing the fp32 device arrays, and marks the model: data type {@code FLOAT16} and
     * property {@link WeightConversion#PROPERTY}{@code =float16}, both saved by {@code
     * model.save}. Check {@link #problems} first.
     *
     * @param model the model; its parameters keep their names, ids and devices
     * @param underAutocast whether the model will run under autocast
     * @return each converted parameter's fp32 value in DJL's parameter encoding (host memory, the
     *     fp32 size), for {@link #restore}; empty when nothing was converted
     */
    static Map<Parameter, byte[]> convert(Model model, boolean underAutocast) {
        Block root = model.getBlock();
        Set<Parameter> kept = keptInFloat32(root, underAutocast);
        Map<Parameter, byte[]> originals = new IdentityHashMap<>();
        for (Parameter parameter : unique(root).values()) {
            if (!kept.contains(parameter)
                    && parameter.getArray().getDataType() == DataType.FLOAT32) {
                originals.put(parameter, replaceWithFp16(parameter));
            }
        }
        model.setDataType(DataType.FLOAT16);
        model.setProperty(WeightConversion.PROPERTY, FLOAT16);
        return originals;
    }

    /**
     * Puts back the fp32 values {@link #convert} replaced, on the same devices, releasing the fp16
     * arrays; the caller puts back the model's data type and property.
     *
     * @param originals what {@link #convert} returned
     */
    static void restore(Map<Parameter, byte[]> originals) {
        for (Map.Entry<Parameter, byte[]> entry : originals.entrySet()) {
            Parameter parameter = entry.getKey();
            load(parameter, owner(parameter.getArray()), entry.getValue());
        }
    }

    private static float largestMagnitude(NDArray array) {
        // reading a GPU scalar copies it to the host in its manager: keep both in a scope
        try (NDManager scope = array.getManager().newSubManager()) {
            NDArray max = array.max();
            NDArray min = array.min();
            max.attach(scope);
            min.attach(scope);
            return Math.max(max.getFloat(), -min.getFloat());
        }
    }

    /** Replaces a parameter's fp32 array with fp16; returns the fp32 value's encoding. */
    private static byte[] replaceWithFp16(Parameter parameter) {
        NDArray fp32 = parameter.getArray();
        NDManager owner = owner(fp32);
        byte[] original;
        byte[] encoded;
        // DJL's encode copies a GPU array to the host in the array's manager: keep it in a scope
        try (NDManager scope = owner.newSubManager()) {
            original = encode(parameter, fp32);
            NDArray fp16 = fp32.toType(DataType.FLOAT16, false);
            fp16.attach(scope);
            encoded = encode(parameter, fp16);
        }
        load(parameter, owner, encoded);
        return original;
    }

    /** The manager a parameter's new array goes to: Parameter.load creates it on its device. */
    private static NDManager owner(NDArray array) {
        NDManager owner = array.getManager();
        return owner.getDevice().equals(array.getDevice())
                ? owner
                : owner.newSubManager(array.getDevice());
    }

    /** A value in DJL's parameter format, written through a carrier of the parameter's name. */
    private static byte[] encode(Parameter parameter, NDArray value) {
        Parameter carrier =
                Parameter.builder()
                        .setName(parameter.getName())
                        .setType(parameter.getType())
                        .optArray(value)
                        .build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            carrier.save(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Closes the parameter's array and reads the encoded value in its place. */
    private static void load(Parameter parameter, NDManager owner, byte[] encoded) {
        parameter.close();
        try {
            parameter.load(owner, new DataInputStream(new ByteArrayInputStream(encoded)));
        } catch (IOException | MalformedModelException e) {
            throw new IllegalStateException(
                    "Could not read back parameter " + parameter.getName(), e);
        }
    }

    /**
     * Lists blocks that cannot be converted: TorchScript modules anywhere, and without autocast,
     * DJL blocks whose forward makes fp32 arrays of its own (seen in LibTorch 2.7.1: "mat1 and mat2
     * must have the same dtype").
     */
    private static void blockProblems(
            String path, Block block, boolean underAutocast, List<String> problems) {
        String name = path.isEmpty() ? block.getClass().getSimpleName() : path;
        if (block instanceof SymbolBlock) {
            problems.add(
                    name
                            + " ("
                            + block.getClass().getName()
                            + ") is a TorchScript module: its tensors live inside the module, where"
                            + " DJL cannot replace them. Convert it in PyTorch before export"
                            + " (model.half()).");
            return;
        }
        if (!underAutocast && (block instanceof RecurrentBlock || block instanceof BertBlock)) {
            problems.add(
                    name
                            + " ("
                            + block.getClass().getName()
                            + "): its forward makes float32 arrays of its own ("
                            + (block instanceof BertBlock
                                    ? "the attention mask"
                                    : "the initial state")
                            + "), which LibTorch does not mix with float16 weights. '16-mixed'"
                            + " runs it: converted weights under autocast.");
            return;
        }
        block.getChildren()
                .forEach(
                        child ->
                                blockProblems(
                                        name + "/" + child.getKey(),
                                        child.getValue(),
                                        underAutocast,
                                        problems));
    }

    /** The parameters that stay fp32: batch norm's, and under autocast layer norm's too. */
    private static Set<Parameter> keptInFloat32(Block root, boolean underAutocast) {
        Set<Parameter> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        collectKept(root, underAutocast, kept);
        return kept;
    }

    private static void collectKept(Block block, boolean underAutocast, Set<Parameter> kept) {
        if (block instanceof BatchNorm || (underAutocast && NormLayers.isNorm(block))) {
            kept.addAll(block.getParameters().values());
        }
        block.getChildren().values().forEach(child -> collectKept(child, underAutocast, kept));
    }

    /** Parameters by name, each once: a block may share one parameter under two names. */
    private static Map<String, Parameter> unique(Block root) {
        Map<String, Parameter> byName = new LinkedHashMap<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        root.getParameters()
                .forEach(
                        pair -> {
                            if (seen.add(pair.getValue())) {
                                byName.put(pair.getKey(), pair.getValue());
                            }
                        });
        return byName;
    }
}

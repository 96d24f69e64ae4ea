package io.github.djlprecision.compat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import io.github.djlprecision.training.PrecisionTrainer;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The data-type checks of a cell: parameters, gradients, each layer's output and what reaches the
 * loss, against what the cell's {@link PrecisionVariant} requires.
 */
final class DtypeChecks {

    /**
     * What the parameters occupy, and what they would occupy in the types the variant expects.
     *
     * @param bytes the bytes in their proven types
     * @param expectedBytes the bytes in the expected types
     */
    record ParameterBytes(long bytes, long expectedBytes) {}

    private DtypeChecks() {}

    /** Checks each parameter's type against what the variant allows for its block. */
    static ParameterBytes parameters(Block root, PrecisionVariant variant, List<Check> checks) {
        Map<Parameter, Block> owners = new IdentityHashMap<>();
        collectOwners(root, owners);
        long bytes = 0;
        long expectedBytes = 0;
        List<String> wrong = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        for (Map.Entry<Parameter, Block> entry : owners.entrySet()) {
            NDArray array = entry.getKey().getArray();
            Set<DataType> allowed = variant.parameterTypes(entry.getValue());
            seen.add(DataTypes.describe(array));
            if (!DataTypes.isOneOf(array, allowed)) {
                wrong.add(
                        entry.getKey().getName()
                                + " is "
                                + DataTypes.describe(array)
                                + ", expected "
                                + allowed);
            }
            if (DataTypes.proven(array) != DataType.UNKNOWN) {
                bytes += DataTypes.bytes(array);
            }
            expectedBytes += array.size() * allowed.iterator().next().getNumOfBytes();
        }
        checks.add(
                new Check(
                        "parameter dtypes",
                        wrong.isEmpty(),
                        wrong.isEmpty()
                                ? owners.size() + " parameters, " + seen
                                : String.join("; ", wrong)));
        return new ParameterBytes(bytes, expectedBytes);
    }

    private static void collectOwners(Block block, Map<Parameter, Block> owners) {
        block.getDirectParameters().values().forEach(p -> owners.put(p, block));
        block.getChildren().values().forEach(child -> collectOwners(child, owners));
    }

    /**
     * Checks that gradients, between backward and step, have the types of the arrays the forward
     * computed with (the parameters, or Apex O2's fp16 working copies), and that backward reached
     * them.
     */
    static void gradients(PrecisionTrainer trainer, List<Check> checks) {
        Block root = trainer.getModel().getBlock();
        List<String> wrong = new ArrayList<>();
        boolean anyNonZero = false;
        int count = 0;
        for (Parameter parameter : root.getParameters().values()) {
            if (!parameter.requiresGradient()) {
                continue;
            }
            count++;
            NDArray array = trainer.getWorkingParameter(parameter);
            try (NDArray gradient = array.getGradient()) {
                DataType expected = DataTypes.proven(array);
                DataType actual = DataTypes.proven(gradient);
                if (actual != expected) {
                    wrong.add(
                            parameter.getName()
                                    + ": "
                                    + DataTypes.name(actual)
                                    + " for a "
                                    + DataTypes.name(expected)
                                    + " parameter");
                }
                try (NDArray wide = gradient.toType(DataType.FLOAT32, true);
                        NDArray abs = wide.abs();
                        NDArray max = abs.max()) {
                    // inf or NaN in a scaled first step still shows that backward reached it
                    anyNonZero |= max.getFloat() != 0f;
                }
            }
        }
        boolean ok = wrong.isEmpty() && anyNonZero;
        String detail =
                !wrong.isEmpty()
                        ? String.join("; ", wrong)
                        : anyNonZero
                                ? count
                                        + " gradients in their parameters' types, backward reached"
                                        + " them"
                                : "every gradient is zero after backward";
        checks.add(new Check("gradient dtypes", ok, detail));
    }

    /** Checks which type each layer of the probe pass computed in. */
    static void layers(ActivationProbe.Probe probe, PrecisionVariant variant, List<Check> checks) {
        String compute = DataTypes.name(variant.computeType());
        String types = describeLayers(probe.layers());
        checks.add(
                new Check(
                        "Linear/Conv layers compute in " + compute,
                        probe.matmulLayers() > 0 && probe.matmulTypesOk(),
                        probe.matmulLayers() == 0
                                ? "the model has no Linear or Conv layer"
                                : types));
        if (variant.computesEverythingInComputeType()) {
            checks.add(new Check("every layer outputs " + compute, probe.allTypesOk(), types));
        }
    }

    private static String describeLayers(List<LayerOutput> layers) {
        StringBuilder text = new StringBuilder();
        for (LayerOutput layer : layers) {
            text.append(text.length() == 0 ? "" : ", ")
                    .append(layer.kind())
                    .append('=')
                    .append(layer.dataType());
        }
        return text.toString();
    }

    /**
     * Checks what reaches the loss. An output DJL cannot name is refused before any loss sees it: a
     * DJL loss would pass that type to native code, which aborts the JVM.
     *
     * @return whether a loss may be computed on the output
     */
    static boolean output(NDArray output, PrecisionVariant variant, List<Check> checks) {
        boolean named = output.getDataType() != DataType.UNKNOWN;
        boolean ok = named && DataTypes.isOneOf(output, variant.outputTypes());
        String name = "outputs reach the loss as " + variant.outputTypes();
        checks.add(
                new Check(
                        name,
                        ok,
                        named
                                ? DataTypes.describe(output)
                                : DataTypes.describe(output)
                                        + ": DJL cannot name it, no loss computed"));
        return ok;
    }
}

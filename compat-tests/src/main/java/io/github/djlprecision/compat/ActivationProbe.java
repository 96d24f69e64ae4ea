package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PrecisionPlugin;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs one forward pass layer by layer, inside the plugin's forward context, and records each
 * layer's output: DJL has no forward hooks, so nested {@link SequentialBlock}s are chained here
 * exactly as their own forward chains them, and any other block counts as one layer.
 */
final class ActivationProbe {

    /**
     * What the probe saw.
     *
     * @param layers each layer's output, in order
     * @param matmulTypesOk whether every Linear and Conv layer's output had the expected type
     * @param allTypesOk whether every layer's output had the expected type
     * @param matmulLayers how many Linear and Conv layers there were
     */
    record Probe(
            List<LayerOutput> layers, boolean matmulTypesOk, boolean allTypesOk, int matmulLayers) {

        long activationBytes() {
            return layers.stream().mapToLong(LayerOutput::bytes).sum();
        }
    }

    private ActivationProbe() {}

    /**
     * Runs the probe.
     *
     * @param working the array the forward computes with for a parameter (a trainer's working
     *     copy), or null to use the parameters themselves
     */
    static Probe run(
            Block root,
            PrecisionPlugin plugin,
            Device device,
            NDList input,
            PrecisionVariant variant,
            Function<Parameter, NDArray> working) {
        Recorder recorder = new Recorder(variant);
        try (NDManager scope = NDManager.subManagerOf(input.head())) {
            scope.tempAttachAll(input);
            ParameterStore store =
                    working == null
                            ? new ParameterStore(scope, false)
                            : new ParameterStore(scope, false) {
                                @Override
                                public NDArray getValue(
                                        Parameter parameter, Device on, boolean training) {
                                    // DJL asks for absent parameters too (a bias turned off)
                                    return parameter == null ? null : working.apply(parameter);
                                }
                            };
            // a copy: DJL's recurrent blocks append their zero states to the list they are given
            NDList converted = plugin.convertInput(new NDList(input));
            try (ForwardContext ignored = plugin.forwardContext(device)) {
                recorder.forward("", root, store, converted);
            }
        }
        return new Probe(
                recorder.layers,
                recorder.matmulTypesOk,
                recorder.allTypesOk,
                recorder.matmulLayers);
    }

    private static final class Recorder {

        private final PrecisionVariant variant;
        private final List<LayerOutput> layers = new ArrayList<>();
        private boolean matmulTypesOk = true;
        private boolean allTypesOk = true;
        private int matmulLayers;

        private Recorder(PrecisionVariant variant) {
            this.variant = variant;
        }

        private NDList forward(String path, Block block, ParameterStore store, NDList input) {
            if (block instanceof SequentialBlock) {
                NDList current = input;
                for (var child : block.getChildren()) {
                    current = forward(path + child.getKey(), child.getValue(), store, current);
                }
                return current;
            }
            NDList output = block.forward(store, input, false);
            boolean isMatmul = block instanceof Linear || block instanceof Convolution;
            long bytes = 0;
            StringBuilder types = new StringBuilder();
            for (NDArray array : output) {
                bytes += DataTypes.bytes(array);
                types.append(types.length() == 0 ? "" : ", ").append(DataTypes.describe(array));
                boolean inComputeType = DataTypes.proven(array) == variant.computeType();
                matmulTypesOk &= inComputeType || !isMatmul;
                allTypesOk &= inComputeType;
            }
            if (isMatmul) {
                matmulLayers++;
            }
            String kind =
                    block instanceof LambdaBlock
                            ? ((LambdaBlock) block).getName()
                            : block.getClass().getSimpleName();
            layers.add(
                    new LayerOutput(path.isEmpty() ? kind : path, kind, types.toString(), bytes));
            return output;
        }
    }
}

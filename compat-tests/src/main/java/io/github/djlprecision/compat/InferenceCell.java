package io.github.djlprecision.compat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Runs the workload's model forward only, with weights as initialized, in one cell's precision: for
 * engines that cannot train, or when the matrix is asked for inference only.
 */
final class InferenceCell {

    private final CompatWorkload workload;
    private final GradScalerConfig gradScaler;
    private final String pluginName;

    InferenceCell(CompatWorkload workload, GradScalerConfig gradScaler, String pluginName) {
        this.workload = workload;
        this.gradScaler = gradScaler;
        this.pluginName = pluginName;
    }

    CellRun run(MatrixCell cell) {
        PrecisionVariant variant = cell.variant();
        List<Check> checks = new ArrayList<>();
        String path = null;
        Device device = cell.device();
        try (Model model = workload.newModel(cell.engine(), device);
                NDManager dataManager = model.getNDManager().newSubManager()) {
            PrecisionPlugin plugin;
            try {
                plugin =
                        PrecisionPlugins.create(
                                new PluginRequest(
                                        cell.engine(),
                                        device,
                                        variant.config(gradScaler, pluginName),
                                        PluginRequest.Purpose.INFERENCE,
                                        model));
            } catch (UnsupportedPrecisionException e) {
                return CellRun.refused(e.getMessage());
            }
            try (plugin) {
                path = plugin.getPath();
                Block block = model.getBlock();
                TrainingConfig config = workload.trainingConfig(device);
                // as Model.newTrainer does: the workload's initializers give every type the
                // reference's starting weights
                config.getInitializers()
                        .forEach(pair -> block.setInitializer(pair.getKey(), pair.getValue()));
                plugin.beforeInitialize(model);
                block.initialize(model.getNDManager(), model.getDataType(), workload.inputShapes());
                plugin.convertModule(model);
                DtypeChecks.ParameterBytes parameterBytes =
                        DtypeChecks.parameters(block, variant, checks);
                Dataset dataset = workload.trainingSet(dataManager);
                ParameterStore store = new ParameterStore(model.getNDManager(), false);
                UnaryOperator<NDList> forward =
                        input -> {
                            NDList converted = plugin.convertInput(input);
                            NDList output;
                            try (ForwardContext ignored = plugin.forwardContext(device)) {
                                output = block.forward(store, converted, false);
                            }
                            return plugin.convertOutput(output);
                        };
                ActivationProbe.Probe probe;
                try (Batch first = dataset.getData(dataManager).iterator().next()) {
                    probe =
                            ActivationProbe.run(
                                    block, plugin, device, first.getData(), variant, null);
                    DtypeChecks.layers(probe, variant, checks);
                    if (!DtypeChecks.output(
                            forward.apply(first.getData()).head(), variant, checks)) {
                        return CellRun.stopped(CellMode.INFERENCE, path, checks);
                    }
                }
                Evaluation eval =
                        Evaluation.of(
                                dataset.getData(dataManager),
                                forward,
                                config.getLossFunction(),
                                config.getEvaluators());
                Dataset testSet = workload.testSet(dataManager);
                double testAccuracy =
                        testSet == null
                                ? Double.NaN
                                : Evaluation.of(
                                                testSet.getData(dataManager),
                                                forward,
                                                config.getLossFunction(),
                                                config.getEvaluators())
                                        .accuracy();
                CellMetrics metrics =
                        new CellMetrics(
                                eval.loss(),
                                eval.loss(),
                                Double.NaN,
                                eval.accuracy(),
                                testAccuracy,
                                Double.NaN,
                                0,
                                Double.NaN,
                                eval.medianMillis(),
                                parameterBytes.bytes(),
                                probe.activationBytes(),
                                new float[0],
                                new float[0],
                                new boolean[0],
                                probe.layers());
                return new CellRun(
                        null,
                        null,
                        CellMode.INFERENCE,
                        path,
                        checks,
                        metrics,
                        parameterBytes.expectedBytes());
            }
        } catch (IOException | TranslateException | RuntimeException e) {
            return CellRun.failed(e, CellMode.INFERENCE, path, checks);
        }
    }
}

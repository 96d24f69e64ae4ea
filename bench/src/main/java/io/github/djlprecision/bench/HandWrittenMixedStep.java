package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.plugins.MixedPrecision;
import io.github.djlprecision.scaling.DynamicLossScaler;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;
import java.util.ArrayList;
import java.util.List;

/**
 * The 16-mixed training step a user would write by hand around a plain DJL {@link Trainer}: the
 * same LibTorch autocast scope and the same loss-scaler kernels as djl-precision, wired directly
 * instead of through {@code PrecisionTrainer}'s hooks. The difference between the two step times
 * is the adapter's own cost.
 */
final class HandWrittenMixedStep implements AutoCloseable {

    private final Trainer trainer;
    private final PrecisionPlugin primitives;
    private final DynamicLossScaler scaler;

    /**
     * @param trainer a plain trainer from {@code model.newTrainer}
     * @param precision the 16-mixed settings whose autocast and scaler kernels to use
     */
    HandWrittenMixedStep(Trainer trainer, PrecisionConfig precision) {
        this.trainer = trainer;
        // only the primitives are taken from the plugin: its autocast scope and its scaler
        primitives =
                PrecisionPlugins.create(
                        new PluginRequest(
                                "PyTorch", Device.cpu(), precision, PluginRequest.Purpose.TRAINING));
        scaler = ((MixedPrecision) primitives).getScaler();
        scaler.attach(trainer.getManager());
    }

    @SuppressWarnings("try") // the autocast scope is held for its effect, never referenced
    void step(NDList batch) {
        try (NDManager step = trainer.getManager().newSubManager()) {
            step.tempAttachAll(batch);
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out;
                try (ForwardContext autocast = primitives.forwardContext(Device.cpu())) {
                    out = trainer.forward(new NDList(batch.get(0)));
                }
                // fp16 logits to fp32 inside the autograd graph, so the loss runs in fp32
                NDArray logits = out.head();
                if (logits.getDataType() != DataType.FLOAT32) {
                    logits = logits.add(step.zeros(new Shape(1, 1), DataType.FLOAT32));
                }
                NDArray loss = trainer.getLoss().evaluate(new NDList(batch.get(1)), new NDList(logits));
                collector.backward(scaler.scale(loss));
            }
            List<NDArray> gradients = new ArrayList<>();
            for (Parameter parameter : trainer.getModel().getBlock().getParameters().values()) {
                NDArray gradient = parameter.getArray().getGradient();
                gradient.attach(step);
                gradients.add(gradient);
            }
            NDArray foundInf = scaler.unscale(gradients, step);
            if (foundInf.getFloat() != 0f) {
                primitives.getKernels().zero(gradients);
            } else {
                trainer.step();
            }
            scaler.update(foundInf);
        }
    }

    @Override
    public void close() {
        primitives.close();
    }
}

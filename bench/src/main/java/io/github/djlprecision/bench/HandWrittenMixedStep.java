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
import java.util.Arrays;
import java.util.List;

/**
 * The mixed-precision training step a user would write by hand around a plain DJL {@link Trainer}:
 * the same LibTorch autocast scope and (for 16-mixed) the same loss-scaler kernels as
 * djl-precision, wired directly instead of through {@code PrecisionTrainer}'s hooks. The difference
 * between the two step times is the adapter's own cost. bf16-mixed has no loss scaling, as in
 * PyTorch.
 */
final class HandWrittenMixedStep implements AutoCloseable {

    private final Trainer trainer;
    private final Device device;
    private final PrecisionPlugin primitives;
    private final DynamicLossScaler scaler;
    private List<Parameter> trainable;

    /**
     * @param trainer a plain trainer from {@code model.newTrainer}, on one device
     * @param precision the mixed precision whose autocast and scaler kernels to use
     */
    HandWrittenMixedStep(Trainer trainer, PrecisionConfig precision) {
        this.trainer = trainer;
        device = trainer.getDevices()[0];
        // only the primitives are taken from the plugin: its autocast scope and its scaler
        primitives =
                PrecisionPlugins.create(
                        new PluginRequest(
                                "PyTorch",
                                device,
                                precision,
                                PluginRequest.Purpose.TRAINING,
                                trainer.getModel()));
        scaler = ((MixedPrecision) primitives).getScaler();
        if (scaler != null) {
            scaler.attach(trainer.getManager());
        }
    }

    /**
     * One step on a batch whose first array is the input and second the labels.
     *
     * @param batch input and labels
     */
    void step(NDList batch) {
        step(new NDList(batch.get(0)), batch.get(1), false);
    }

    /**
     * One step.
     *
     * @param inputs the model's inputs
     * @param labels the labels
     * @param keepLoss whether to return the loss
     * @return the (unscaled) loss, detached for the caller to read and close, if {@code keepLoss};
     *     else null
     */
    @SuppressWarnings("try") // the autocast scope is held for its effect, never referenced
    NDArray step(NDList inputs, NDArray labels, boolean keepLoss) {
        NDArray loss;
        try (NDManager step = trainer.getManager().newSubManager()) {
            step.tempAttachAll(inputs, labels);
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out;
                try (ForwardContext autocast = primitives.forwardContext(device)) {
                    out = trainer.forward(inputs);
                }
                // 16-bit logits to fp32 inside the autograd graph, so the loss runs in fp32
                NDArray logits = out.head();
                if (logits.getDataType() != DataType.FLOAT32) {
                    long[] ones = new long[logits.getShape().dimension()];
                    Arrays.fill(ones, 1);
                    logits = logits.add(step.zeros(new Shape(ones), DataType.FLOAT32));
                }
                loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
                collector.backward(scaler == null ? loss : scaler.scale(loss));
            }
            if (scaler == null) {
                trainer.step();
            } else {
                scaledStep(step);
            }
            if (keepLoss) {
                loss.detach();
            }
        }
        return keepLoss ? loss : null;
    }

    /** Unscales and checks the gradients, then steps or skips, and updates the scale. */
    private void scaledStep(NDManager step) {
        if (trainable == null) {
            // once: walking the block tree every step would cost more than the step's Java work
            trainable = new ArrayList<>();
            for (Parameter parameter : trainer.getModel().getBlock().getParameters().values()) {
                if (parameter.requiresGradient()) {
                    trainable.add(parameter);
                }
            }
        }
        List<NDArray> gradients = new ArrayList<>(trainable.size());
        for (Parameter parameter : trainable) {
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

    @Override
    public void close() {
        primitives.close();
    }
}

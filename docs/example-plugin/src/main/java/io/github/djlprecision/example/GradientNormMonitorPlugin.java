package io.github.djlprecision.example;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.UnscaledGradients;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code 32-true} plugin that records the global L2 norm of the gradients before every optimizer
 * step: the kind of hook a team adds to watch for exploding gradients before trying 16 bits. It
 * reads the norm to the host, so every step waits for the device.
 */
public final class GradientNormMonitorPlugin implements PrecisionPlugin {

    private final List<Float> norms = new ArrayList<>();

    @Override
    public Precision getPrecision() {
        return Precision.FLOAT_TRUE;
    }

    @Override
    public String getPath() {
        return "fp32 with gradient-norm monitor";
    }

    /** A {@code 32-true} step has nothing to unscale: the hook sees every step's gradients. */
    @Override
    public UnscaledGradients unscaleGradients(StepContext context) {
        NDList gradients = new NDList(context.gradients());
        try (NDManager scope = NDManager.subManagerOf(gradients.head())) {
            scope.tempAttachAll(gradients);
            NDList squares = new NDList();
            for (NDArray gradient : gradients) {
                squares.add(gradient.square().sum());
            }
            norms.add(NDArrays.stack(squares).sum().sqrt().getFloat());
        }
        return PrecisionPlugin.super.unscaleGradients(context);
    }

    /**
     * Returns the gradient norm of every step so far.
     *
     * @return the norms, oldest first
     */
    public List<Float> getNorms() {
        return List.copyOf(norms);
    }
}

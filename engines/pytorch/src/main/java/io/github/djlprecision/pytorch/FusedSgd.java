package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * DJL's {@code Sgd} as LibTorch's {@code _fused_sgd_} (torch's {@code SGD(fused=True)}): weight
 * decay added to the gradient, momentum {@code b = m b + g}, {@code w -= lr b}, one launch for
 * every parameter, skipped on the device where the step's non-finite flag is set. DJL keeps the
 * learning rate inside its momentum ({@code v = m v + lr g; w -= v}), which is the same with a
 * fixed rate. The momentum buffer starts at zero, so the first step's {@code m 0 + g} is torch's
 * first step too, also when that step is skipped.
 */
final class FusedSgd extends LibTorchFusedOptimizer {

    FusedSgd(LibTorchAmp amp, DjlOptimizerSettings settings) {
        super(amp, settings);
    }

    @Override
    public String getName() {
        return "fused-sgd";
    }

    @Override
    int stateSlots() {
        return settings.momentum() == 0f ? 0 : 1;
    }

    @Override
    void update(
            List<Long> params,
            List<Long> grads,
            List<NDArray[]> slots,
            float learningRate,
            NDArray foundInf) {
        amp.fusedSgd(
                params,
                grads,
                stateSlots() == 0 ? List.of() : slot(slots, 0),
                settings.weightDecay(),
                settings.momentum(),
                learningRate,
                handleOrZero(foundInf));
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * DJL's {@code Adam} and {@code AdamW} as LibTorch's {@code _fused_adam_} and {@code _fused_adamw_}
 * (torch's {@code Adam(fused=True)}): one launch for every parameter, skipped on the device where
 * the step's non-finite flag is set. Torch adds epsilon after dividing the second moment by its
 * bias correction, DJL before, so the two differ by epsilon's size. The step count is one fp32
 * array shared by every parameter, advanced before the launch and taken back where the flag is
 * set, as torch does.
 */
final class FusedAdam extends LibTorchFusedOptimizer {

    private NDArray steps;
    private NDArray one;

    FusedAdam(LibTorchAmp amp, DjlOptimizerSettings settings) {
        super(amp, settings);
    }

    @Override
    public String getName() {
        return settings.kind() == DjlOptimizerSettings.Kind.ADAMW ? "fused-adamw" : "fused-adam";
    }

    @Override
    int stateSlots() {
        return 2;
    }

    @Override
    void beforeUpdate() {
        if (steps == null) {
            steps = getManager().zeros(new Shape(1), DataType.FLOAT32);
            one = getManager().ones(new Shape(1), DataType.FLOAT32);
        }
        steps.addi(one);
    }

    @Override
    void update(
            List<Long> params,
            List<Long> grads,
            List<NDArray[]> slots,
            float learningRate,
            NDArray foundInf) {
        List<Long> stepCounts =
                new ArrayList<>(Collections.nCopies(params.size(), LibTorchAmpKernels.handle(steps)));
        amp.fusedAdam(
                settings.kind() == DjlOptimizerSettings.Kind.ADAMW,
                params,
                grads,
                slot(slots, 0),
                slot(slots, 1),
                stepCounts,
                learningRate,
                settings.beta1(),
                settings.beta2(),
                settings.weightDecay(),
                settings.epsilon(),
                handleOrZero(foundInf));
    }

    @Override
    void afterUpdate(NDArray foundInf) {
        if (foundInf != null) {
            steps.subi(foundInf);
        }
    }

    @Override
    public void close() {
        steps = null;
        one = null;
        super.close();
    }
}

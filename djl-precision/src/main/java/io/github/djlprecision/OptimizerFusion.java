package io.github.djlprecision;

/**
 * Whether training may run the user's optimizer as one fused multi-tensor kernel (torch's {@code
 * SGD(fused=True)}, {@code Adam(fused=True)}, {@code AdamW(fused=True)}; Apex's FusedSGD and
 * FusedAdam) in place of DJL's per-parameter update.
 *
 * <p>DJL's optimizers launch several kernels per parameter (a ResNet-50 has 161), and a loss-scaled
 * step must read the non-finite flag to the host before it may call them, which stalls the GPU. A
 * fused kernel updates every parameter in one launch and skips the update on the device where the
 * flag is set, so the step never waits for the device.
 *
 * <p>The fused kernels compute torch's formulas, which differ from DJL's in two documented places:
 * DJL's SGD keeps the learning rate inside its momentum ({@code v = m v + lr g; w -= v}) where
 * torch keeps it outside ({@code b = m b + g; w -= lr b}): the same with a fixed learning rate, not
 * under a schedule; and DJL's Adam adds epsilon after correcting the second moment's bias
 * differently ({@code lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)} against torch's {@code lr
 * / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps)}): the same up to epsilon. With a fused
 * optimizer a learning-rate schedule advances on every step, skipped ones included, as torch's
 * schedulers do.
 */
public enum OptimizerFusion {
    /**
     * Fuse where the result is DJL's own: SGD with a fixed learning rate, on an engine that has
     * the kernel. The default.
     */
    AUTO,
    /**
     * Fuse SGD, Adam and AdamW whatever their settings, accepting the documented differences; an
     * optimizer without a fused kernel is refused up front with the reason.
     */
    ALWAYS,
    /** Always run the user's optimizer through DJL, reading the non-finite flag every step. */
    NEVER
}

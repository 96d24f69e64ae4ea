package io.github.djlprecision;

/**
 * Whether convolutional models compute in the channels-last memory format (PyTorch's {@code
 * torch.channels_last}: NHWC strides for NCHW-shaped tensors), which PyTorch users opt into with
 * {@code model.to(memory_format=torch.channels_last)} and the same for every input batch.
 *
 * <p>cuDNN runs 16-bit convolutions on tensor cores in NHWC; given NCHW tensors it transposes
 * around every convolution. Converting each 4-D parameter once and each 4-D input per batch removes
 * those transposes: the tensors keep their shapes and values, only their strides change, so results
 * are those of the default format up to the order of floating-point additions. The optimizer's
 * state follows the parameters' format.
 *
 * <p>On CUDA this library does it by default under the 16-bit precisions ({@code 16-mixed}, {@code
 * bf16-mixed}, {@code 16-true}, Apex O1-O3), for training and inference, and says so in the
 * plugin's path ({@code "; channels-last"}). It is off by default on the CPU, where the gain
 * depends on the processor's kernels, and in 32-bit and 64-bit precisions. cuDNN's benchmark mode
 * (DJL's system property {@code ai.djl.pytorch.cudnn_benchmark}) is left as the user sets it: it
 * changed nothing measurable on ResNet-50, either in this library or in PyTorch.
 */
public enum ChannelsLast {
    /**
     * Channels-last on CUDA under the 16-bit precisions, for models with convolutions (a {@code
     * Conv2d} or {@code Conv2dTranspose} block, or any 4-D parameter); otherwise the default
     * format. The default.
     */
    AUTO,
    /** Channels-last for every 4-D parameter and input, on any device and in any precision. */
    ALWAYS,
    /** Never change a tensor's memory format. */
    NEVER
}

package io.github.djlprecision;

/**
 * Whether inference may convert a model's fp32 weights to fp16 once, the serving recipe of
 * PyTorch's {@code model.half()}, instead of casting them on every call under autocast.
 *
 * <p>Autocast casts every fp32 weight to fp16 on every forward pass. While the GPU is busy (large
 * batches) that cost hides; at small batches it can make {@code 16-mixed} slower than fp32, since
 * each cast is one more kernel. Converted weights pay the cast once. The fp32 device arrays are
 * released and their values kept in host memory, so that {@code PrecisionBlock.unwrap()} puts them
 * back bit for bit; until then {@code model.save} writes fp16. Batch norm
 * (running statistics included) stays fp32, and so does layer norm where autocast runs it in fp32
 * ({@code 16-mixed}).
 *
 * <p>Applies to {@code PrecisionBlock.wrap} (inference) only; the trainer creates its parameters in
 * the type its precision needs and ignores this setting.
 */
public enum WeightConversion {
    /**
     * Convert when the precision computes in fp16 ({@code 16-true}, {@code 16-mixed}) and the
     * engine can hold and run the converted model; otherwise keep the weights and say why in the
     * path. The default.
     */
    AUTO,
    /** Convert, or refuse with the reason (e.g. bf16: DJL cannot hold bfloat16 parameters). */
    ALWAYS,
    /**
     * Never change the model's parameters, e.g. because a trainer shares them: {@code *-mixed} cast
     * fp32 weights under autocast on every call, and {@code 16-true} needs fp16 parameters.
     */
    NEVER;

    /**
     * Model property that says the model holds weights converted for inference, e.g. {@code
     * float16}. Saved with {@code model.save} and read back by {@code Model.load}, so a loaded
     * model says what it holds; plugins refuse precisions that would mix fp32 with them.
     */
    public static final String PROPERTY = "precision.weights";
}

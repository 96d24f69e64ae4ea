package io.github.djlprecision.bench;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Passes ready-made device arrays to the model and copies the first output to the host as fp32, as
 * a serving translator ends; the copy waits for the device, so a {@code predict} call's time is the
 * whole request. The inputs are lent to the call's context, so every array the forward makes is
 * freed when the call ends, and they return to their own manager after it.
 */
final class HostArrayTranslator implements NoBatchifyTranslator<NDList, float[]> {

    @Override
    public NDList processInput(TranslatorContext ctx, NDList input) {
        ctx.getNDManager().tempAttachAll(input);
        return input;
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        return list.head().toType(DataType.FLOAT32, false).toFloatArray();
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.ParameterTracker;
import java.lang.reflect.Field;

/**
 * The settings of one of DJL's optimizers, read from its private fields: DJL 0.36 gives no getter
 * for the learning-rate tracker, momentum, betas, epsilon or weight decay, and a fused kernel needs
 * them all. The field names are DJL 0.36's; a DJL that renamed one makes {@link #of} fail with the
 * name, and the optimizer then runs unfused.
 *
 * @param kind which update rule
 * @param tracker the learning-rate tracker
 * @param momentum SGD's momentum (0 for none)
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param epsilon Adam's epsilon
 * @param weightDecay the weight decay (L2 for SGD and Adam, decoupled for AdamW)
 * @param rescaleGrad DJL's gradient rescale factor (1 for none)
 * @param clipGrad DJL's per-element gradient clip (negative for none)
 */
record DjlOptimizerSettings(
        Kind kind,
        ParameterTracker tracker,
        float momentum,
        float beta1,
        float beta2,
        float epsilon,
        float weightDecay,
        float rescaleGrad,
        float clipGrad) {

    /** The update rules that have a fused kernel. */
    enum Kind {
        SGD,
        ADAM,
        ADAMW
    }

    /**
     * Reads an optimizer's settings.
     *
     * @param optimizer the user's optimizer
     * @return the settings, or null for an optimizer without a fused kernel
     * @throws IllegalStateException if a DJL field is not where DJL 0.36 keeps it
     */
    static DjlOptimizerSettings of(Optimizer optimizer) {
        Class<?> type = optimizer.getClass();
        Kind kind;
        if (type == Sgd.class) {
            kind = Kind.SGD;
        } else if (type == Adam.class) {
            kind = Kind.ADAM;
        } else if (type == AdamW.class) {
            kind = Kind.ADAMW;
        } else {
            return null;
        }
        boolean sgd = kind == Kind.SGD;
        return new DjlOptimizerSettings(
                kind,
                (ParameterTracker) field(type, optimizer, "learningRateTracker"),
                sgd ? (float) field(type, optimizer, "momentum") : 0f,
                sgd ? 0f : (float) field(type, optimizer, "beta1"),
                sgd ? 0f : (float) field(type, optimizer, "beta2"),
                sgd ? 0f : (float) field(type, optimizer, "epsilon"),
                (float) field(Optimizer.class, optimizer, "weightDecays"),
                (float) field(Optimizer.class, optimizer, "rescaleGrad"),
                (float) field(Optimizer.class, optimizer, "clipGrad"));
    }

    /**
     * Returns whether the learning rate is one fixed value, whatever the step and parameter.
     *
     * @return true for DJL's {@code Tracker.fixed}
     */
    boolean fixedLearningRate() {
        return tracker.getClass().getName().equals("ai.djl.training.tracker.FixedTracker");
    }

    private static Object field(Class<?> owner, Object target, String name) {
        try {
            Field field = owner.getDeclaredField(name);
            field.setAccessible(true);
            return field.get(target);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "Cannot read "
                            + owner.getSimpleName()
                            + "."
                            + name
                            + " of DJL's optimizer (not DJL 0.36's layout?): "
                            + e,
                    e);
        }
    }
}

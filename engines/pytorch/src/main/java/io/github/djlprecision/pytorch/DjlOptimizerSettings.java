package io.github.djlprecision.pytorch;

import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.ParameterTracker;
import io.github.djlprecision.spi.DjlOptimizerFields;

/**
 * The settings of one of DJL's optimizers that a fused kernel needs, read through {@link
 * DjlOptimizerFields} (DJL 0.36 gives no getter for them); a DJL that renamed a field makes {@link
 * #of} fail with the name, and the optimizer then runs unfused.
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
                DjlOptimizerFields.learningRateTracker(optimizer),
                sgd ? DjlOptimizerFields.momentum((Sgd) optimizer) : 0f,
                sgd ? 0f : DjlOptimizerFields.beta1(optimizer),
                sgd ? 0f : DjlOptimizerFields.beta2(optimizer),
                sgd ? 0f : DjlOptimizerFields.epsilon(optimizer).orElseThrow(),
                DjlOptimizerFields.weightDecay(optimizer),
                DjlOptimizerFields.rescaleGrad(optimizer),
                DjlOptimizerFields.clipGrad(optimizer));
    }

    /**
     * Returns whether the learning rate is one fixed value, whatever the step and parameter.
     *
     * @return true for DJL's {@code Tracker.fixed}
     */
    boolean fixedLearningRate() {
        return tracker.getClass().getName().equals("ai.djl.training.tracker.FixedTracker");
    }
}

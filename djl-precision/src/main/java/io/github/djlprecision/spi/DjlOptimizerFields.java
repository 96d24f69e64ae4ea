package io.github.djlprecision.spi;

import ai.djl.training.optimizer.Adadelta;
import ai.djl.training.optimizer.Adagrad;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Nag;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.RmsProp;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.ParameterTracker;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Optional;

/**
 * The one place that knows DJL's optimizers from the inside. DJL 0.36 keeps their settings
 * (learning-rate tracker, momentum, betas, epsilon, weight decay) in private fields without getters
 * and their state in private maps; the epsilon check of the 16-bit recipes, the fused kernels and
 * the memory footprint need them. The field names are DJL 0.36's: a DJL that renamed one makes a
 * read throw {@link IllegalStateException} naming the field, and each caller then says what it
 * does without it.
 */
public final class DjlOptimizerFields {

    /** DJL's optimizers with an epsilon, as {@code m / (sqrt(v) + eps)} or alike. */
    private static final List<Class<? extends Optimizer>> WITH_EPSILON =
            List.of(Adam.class, AdamW.class, Adagrad.class, RmsProp.class, Adadelta.class);

    private DjlOptimizerFields() {}

    /**
     * Returns the learning-rate tracker of one of DJL's built-in optimizers.
     *
     * @param optimizer e.g. an {@link Sgd} or {@link Adam}
     * @return the tracker
     * @throws IllegalStateException if the optimizer keeps none where DJL 0.36 does
     */
    public static ParameterTracker learningRateTracker(Optimizer optimizer) {
        return (ParameterTracker) read(optimizer, "learningRateTracker");
    }

    /**
     * Returns SGD's momentum.
     *
     * @param optimizer a DJL {@link Sgd}
     * @return the momentum; 0 for none
     * @throws IllegalStateException if it cannot be read
     */
    public static float momentum(Sgd optimizer) {
        return (float) read(optimizer, "momentum");
    }

    /**
     * Returns Adam's (or AdamW's) first-moment decay.
     *
     * @param optimizer a DJL {@link Adam} or {@link AdamW}
     * @return beta1
     * @throws IllegalStateException if it cannot be read
     */
    public static float beta1(Optimizer optimizer) {
        return (float) read(optimizer, "beta1");
    }

    /**
     * Returns Adam's (or AdamW's) second-moment decay.
     *
     * @param optimizer a DJL {@link Adam} or {@link AdamW}
     * @return beta2
     * @throws IllegalStateException if it cannot be read
     */
    public static float beta2(Optimizer optimizer) {
        return (float) read(optimizer, "beta2");
    }

    /**
     * Returns the epsilon of an optimizer that has one: Adam, AdamW, Adagrad, RmsProp, Adadelta.
     *
     * @param optimizer any optimizer
     * @return the epsilon; empty for an optimizer without one
     * @throws IllegalStateException if it has one that cannot be read
     */
    public static Optional<Float> epsilon(Optimizer optimizer) {
        boolean hasOne = WITH_EPSILON.stream().anyMatch(type -> type.isInstance(optimizer));
        return hasOne ? Optional.of((float) read(optimizer, "epsilon")) : Optional.empty();
    }

    /**
     * Returns the weight decay every DJL optimizer keeps (L2 for SGD and Adam, decoupled for
     * AdamW).
     *
     * @param optimizer any DJL optimizer
     * @return the weight decay
     * @throws IllegalStateException if it cannot be read
     */
    public static float weightDecay(Optimizer optimizer) {
        return (float) read(optimizer, "weightDecays");
    }

    /**
     * Returns DJL's gradient rescale factor.
     *
     * @param optimizer any DJL optimizer
     * @return the factor; 1 for none
     * @throws IllegalStateException if it cannot be read
     */
    public static float rescaleGrad(Optimizer optimizer) {
        return (float) read(optimizer, "rescaleGrad");
    }

    /**
     * Returns DJL's per-element gradient clip.
     *
     * @param optimizer any DJL optimizer
     * @return the clip; negative for none
     * @throws IllegalStateException if it cannot be read
     */
    public static float clipGrad(Optimizer optimizer) {
        return (float) read(optimizer, "clipGrad");
    }

    /**
     * Returns how many state arrays per parameter one of DJL's built-in optimizers keeps.
     *
     * @param optimizer an optimizer
     * @return 2 for Adam, AdamW and Adadelta, 1 for Adagrad and Nag, -1 where the count depends on
     *     settings DJL keeps private (Sgd's momentum, RmsProp's centering) or the class is unknown
     */
    public static int stateSlots(Optimizer optimizer) {
        if (optimizer instanceof Adam || optimizer instanceof AdamW || optimizer instanceof Adadelta) {
            return 2;
        }
        if (optimizer instanceof Adagrad || optimizer instanceof Nag) {
            return 1;
        }
        return -1;
    }

    /** Reads a field declared by the optimizer's class or the nearest superclass that has it. */
    private static Object read(Optimizer optimizer, String name) {
        for (Class<?> type = optimizer.getClass(); type != null; type = type.getSuperclass()) {
            Field field;
            try {
                field = type.getDeclaredField(name);
            } catch (NoSuchFieldException e) {
                continue;
            }
            try {
                field.setAccessible(true);
                return field.get(optimizer);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw cannotRead(optimizer, name, e);
            }
        }
        throw cannotRead(optimizer, name, null);
    }

    private static IllegalStateException cannotRead(
            Optimizer optimizer, String name, Exception cause) {
        return new IllegalStateException(
                "Cannot read "
                        + optimizer.getClass().getSimpleName()
                        + "."
                        + name
                        + " of DJL's optimizer (not DJL 0.36's layout?)"
                        + (cause == null ? ": no such field" : ": " + cause),
                cause);
    }
}

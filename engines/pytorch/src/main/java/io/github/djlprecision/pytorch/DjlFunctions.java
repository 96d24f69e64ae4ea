package io.github.djlprecision.pytorch;

import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.pooling.Pool;
import java.lang.reflect.Field;
import java.util.Set;
import java.util.function.Function;

/**
 * Tells DJL's own functions from a user's, by the class of the function object, never by a name.
 *
 * <p>A {@link LambdaBlock} runs a {@code Function} that anyone can write and name "ReLU"; a {@link
 * ParallelBlock} joins its branches with one. Java compiles every lambda and method reference to a
 * hidden class whose nest host is the class the expression is written in ({@code LambdaMetafactory}
 * defines it as a nestmate of its caller), so {@code Activation::relu} written in {@code
 * Activation} has nest host {@code Activation}, while the same reference written in a user's class
 * has the user's class as host. A function is DJL's own when its class is hidden and its host is
 * one of the DJL classes below, each read to check that its lambdas call only DJL operations that
 * hand no input's data type to native code, and never call a function they were given. {@code
 * LambdaBlock.singleton} does wrap a given function, so a lambda hosted by {@code LambdaBlock} is
 * judged by the one function it captured.
 *
 * <p>The function objects are private fields without getters ({@code LambdaBlock.lambda}, {@code
 * ParallelBlock.function}, a lambda's captured argument), so they are read by reflection; when that
 * fails (e.g. a module that does not open them) the function counts as a user's, which only costs
 * speed (the block runs in fp32). Classes are known by the name they were loaded under: a program
 * that defines its own classes under DJL's package names is outside this check, as one that
 * replaces DJL's jars would be.
 */
final class DjlFunctions {

    /** DJL classes whose lambdas were read and whose blocks the test suite trains under bf16. */
    private static final Set<Class<?>> API_HOSTS =
            Set.of(Activation.class, Blocks.class, Pool.class);

    /** The same for DJL's basic model zoo (artifact {@code ai.djl:model-zoo}), when present. */
    private static final Set<String> ZOO_HOSTS =
            Set.of(
                    "ai.djl.basicmodelzoo.basic.Mlp",
                    "ai.djl.basicmodelzoo.cv.classification.AlexNet",
                    "ai.djl.basicmodelzoo.cv.classification.GoogLeNet",
                    "ai.djl.basicmodelzoo.cv.classification.LeNet",
                    "ai.djl.basicmodelzoo.cv.classification.MobileNetV1",
                    "ai.djl.basicmodelzoo.cv.classification.MobileNetV2",
                    "ai.djl.basicmodelzoo.cv.classification.NiN",
                    "ai.djl.basicmodelzoo.cv.classification.ResNetV1",
                    "ai.djl.basicmodelzoo.cv.classification.SqueezeNet",
                    "ai.djl.basicmodelzoo.cv.classification.VGG");

    private static final Field LAMBDA = field(LambdaBlock.class, "lambda");
    private static final Field JOIN = field(ParallelBlock.class, "function");

    private DjlFunctions() {}

    /**
     * Returns whether a lambda block runs a function of DJL's own.
     *
     * @param block a lambda block
     * @return true if its function is DJL's
     */
    static boolean isDjlLambda(LambdaBlock block) {
        return isDjlFunction(read(LAMBDA, block));
    }

    /**
     * Returns whether a parallel block joins its branches with a function of DJL's own.
     *
     * @param block a parallel block
     * @return true if its join function is DJL's
     */
    static boolean isDjlJoin(ParallelBlock block) {
        return isDjlFunction(read(JOIN, block));
    }

    private static boolean isDjlFunction(Object function) {
        if (function == null || !function.getClass().isHidden()) {
            return false;
        }
        Class<?> host = function.getClass().getNestHost();
        if (host == LambdaBlock.class) {
            return isDjlFunction(capturedFunction(function));
        }
        return API_HOSTS.contains(host) || ZOO_HOSTS.contains(host.getName());
    }

    /** The one function a {@code LambdaBlock.singleton} wrapper captured, or null. */
    private static Object capturedFunction(Object wrapper) {
        Field[] fields = wrapper.getClass().getDeclaredFields();
        if (fields.length != 1 || !Function.class.isAssignableFrom(fields[0].getType())) {
            return null;
        }
        try {
            fields[0].setAccessible(true);
            return fields[0].get(wrapper);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Object read(Field field, Object owner) {
        if (field == null) {
            return null;
        }
        try {
            return field.get(owner);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Field field(Class<?> type, String name) {
        try {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import java.util.Collection;

/**
 * Delegates to an initializer, always asking it for one data type. DJL gives a parameter its type
 * only through the type its block's {@code initialize} asks for, and some blocks ask for a fixed
 * one ({@code ScaledDotProductAttentionBlock} initializes its projections with {@code FLOAT32}
 * whatever the model's type), so a precision that needs one type for a set of parameters wraps
 * their initializers.
 *
 * @param delegate the user's initializer
 * @param type the type every parameter is created in
 */
record TypedInitializer(Initializer delegate, DataType type) implements Initializer {

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        return delegate.initialize(manager, shape, type);
    }

    /**
     * Makes parameters be created in a type. Call before the parameters exist.
     *
     * @param parameters the parameters
     * @param type the type
     */
    static void createIn(Collection<Parameter> parameters, DataType type) {
        for (Parameter parameter : parameters) {
            Initializer initializer = parameter.getInitializer();
            if (initializer != null && !(initializer instanceof TypedInitializer)) {
                parameter.setInitializer(new TypedInitializer(initializer, type));
            }
        }
    }

    /**
     * Makes every parameter of a model be created in a type. Call before the parameters exist.
     *
     * @param root the model's block
     * @param type the type
     */
    static void createIn(Block root, DataType type) {
        createIn(root.getParameters().values(), type);
    }
}

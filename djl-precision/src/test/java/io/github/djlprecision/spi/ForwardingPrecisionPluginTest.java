package io.github.djlprecision.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every hook of {@link PrecisionPlugin}, the ones added after this test was written included, is
 * forwarded by {@link ForwardingPrecisionPlugin} to its delegate, with its arguments as given.
 */
class ForwardingPrecisionPluginTest {

    @Test
    void everyHookIsDeclaredByTheForwardingBase() {
        for (Method hook : hooks()) {
            Method declared;
            try {
                declared =
                        ForwardingPrecisionPlugin.class.getDeclaredMethod(
                                hook.getName(), hook.getParameterTypes());
            } catch (NoSuchMethodException e) {
                throw new AssertionError(
                        "ForwardingPrecisionPlugin does not forward " + hook + "; add it", e);
            }
            assertFalse(Modifier.isAbstract(declared.getModifiers()), declared.toString());
        }
    }

    @Test
    void everyHookReachesTheDelegateWithItsArguments() throws Exception {
        List<String> received = new ArrayList<>();
        List<Object[]> arguments = new ArrayList<>();
        PrecisionPlugin delegate =
                (PrecisionPlugin)
                        Proxy.newProxyInstance(
                                PrecisionPlugin.class.getClassLoader(),
                                new Class<?>[] {PrecisionPlugin.class},
                                (proxy, method, args) -> {
                                    received.add(method.getName());
                                    arguments.add(args == null ? new Object[0] : args);
                                    return defaultValue(method.getReturnType());
                                });
        ForwardingPrecisionPlugin forwarding =
                new ForwardingPrecisionPlugin() {
                    @Override
                    protected PrecisionPlugin delegate() {
                        return delegate;
                    }
                };
        for (Method hook : hooks()) {
            received.clear();
            arguments.clear();
            Object[] args = new Object[hook.getParameterCount()];
            for (int i = 0; i < args.length; i++) {
                // a distinct object per argument where the type allows one, else its default
                args[i] = sample(hook.getParameterTypes()[i]);
            }
            try {
                hook.invoke(forwarding, args);
            } catch (InvocationTargetException e) {
                throw new AssertionError(hook + " failed", e.getCause());
            }
            assertEquals(List.of(hook.getName()), received, hook.toString());
            for (int i = 0; i < args.length; i++) {
                assertTrue(args[i] == arguments.get(0)[i], hook + " argument " + i);
            }
        }
    }

    /** The interface's instance methods: its hooks, {@code close} included. */
    private static List<Method> hooks() {
        List<Method> hooks = new ArrayList<>();
        for (Method method : PrecisionPlugin.class.getMethods()) {
            if (!Modifier.isStatic(method.getModifiers())) {
                hooks.add(method);
            }
        }
        assertTrue(hooks.size() >= 22, "hooks found: " + hooks.size());
        return hooks;
    }

    private static Object sample(Class<?> type) {
        if (type == boolean.class) {
            return true;
        }
        if (type.isPrimitive()) {
            return defaultValue(type);
        }
        if (type == java.util.Map.class) {
            return new java.util.HashMap<String, String>();
        }
        if (type == List.class) {
            return new ArrayList<>();
        }
        return null;
    }

    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == float.class) {
            return 0f;
        }
        if (type == double.class) {
            return 0d;
        }
        return null;
    }
}

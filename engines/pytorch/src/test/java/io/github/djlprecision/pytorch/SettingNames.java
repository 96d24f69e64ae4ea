package io.github.djlprecision.pytorch;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Names a public setting of a config builder as {@code Config.method(ParameterTypes)}. */
final class SettingNames {

    private SettingNames() {}

    static String of(Class<?> builder, Method method) {
        return builder.getEnclosingClass().getSimpleName()
                + "."
                + method.getName()
                + "("
                + Arrays.stream(method.getParameterTypes())
                        .map(Class::getSimpleName)
                        .collect(Collectors.joining(","))
                + ")";
    }
}

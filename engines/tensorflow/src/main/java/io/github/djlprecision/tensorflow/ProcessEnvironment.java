package io.github.djlprecision.tensorflow;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import org.bytedeco.javacpp.Loader;

/**
 * The C process environment, which TensorFlow reads its switches from ({@code
 * TF_ENABLE_ONEDNN_OPTS}, {@code TF_XLA_FLAGS}). Java's {@link System#getenv} is a snapshot taken at
 * JVM start and cannot change it, so this goes through libc.
 */
final class ProcessEnvironment {

    private static final NativeLibrary LIBC = NativeLibrary.getInstance("c");

    private ProcessEnvironment() {}

    /**
     * Reads a variable as the C library sees it now, including changes made through {@link
     * #set}.
     */
    static String get(String name) {
        Function getenv = LIBC.getFunction("getenv");
        return getenv.invokeString(new Object[] {name}, false);
    }

    static void set(String name, String value) {
        Function setenv = LIBC.getFunction("setenv");
        int rc = setenv.invokeInt(new Object[] {name, value, 1});
        if (rc != 0) {
            throw new IllegalStateException(
                    "setenv(" + name + ") failed with " + rc + "; set it before starting Java.");
        }
    }

    /**
     * Returns whether TensorFlow's native libraries are already in this process: switches read
     * from the environment at load time can no longer change then.
     */
    static boolean isTensorFlowLoaded() {
        return Loader.getLoadedLibraries().keySet().stream()
                .anyMatch(name -> name.startsWith("tensorflow_framework"));
    }
}

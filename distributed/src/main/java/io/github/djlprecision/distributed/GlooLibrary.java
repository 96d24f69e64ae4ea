package io.github.djlprecision.distributed;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The project's C interface over Gloo ({@code src/main/native/djlp_gloo.cc}, built into the jar),
 * reached through JNA. Every function returns 0 or a handle on success and writes Gloo's message
 * into {@code error} otherwise: no C++ exception reaches the JVM.
 */
interface GlooLibrary extends Library {

    /** Bytes for an error message. */
    int ERROR_CAPACITY = 4096;

    /** Data type codes of the C interface. */
    int FLOAT32 = 0;

    int FLOAT64 = 1;
    int FLOAT16 = 2;
    int INT32 = 3;
    int INT64 = 4;
    int UINT8 = 5;

    /** Reduction codes of the C interface. */
    int SUM = 0;

    int MAX = 1;

    /** Stores a rendezvous key; returns 0 on success. */
    interface StoreSet extends Callback {
        int invoke(String key, Pointer data, long length);
    }

    /** Waits for a rendezvous key; returns its length (copying at most capacity bytes) or -1. */
    interface StoreGet extends Callback {
        long invoke(String key, Pointer out, long capacity, long timeoutMillis);
    }

    Pointer djlp_gloo_connect(
            int rank,
            int size,
            String hostname,
            long timeoutMillis,
            StoreSet set,
            StoreGet get,
            byte[] error,
            int errorCapacity);

    int djlp_gloo_allreduce(
            Pointer group,
            Pointer[] buffers,
            long[] elements,
            int count,
            int type,
            int op,
            long timeoutMillis,
            byte[] error,
            int errorCapacity);

    int djlp_gloo_broadcast(
            Pointer group,
            Pointer buffer,
            long bytes,
            int root,
            long timeoutMillis,
            byte[] error,
            int errorCapacity);

    int djlp_gloo_barrier(Pointer group, long timeoutMillis, byte[] error, int errorCapacity);

    void djlp_gloo_close(Pointer group);

    /**
     * Loads the interface from the jar. It is opened with {@code RTLD_DEEPBIND}: LibTorch exports
     * its own, newer build of Gloo's symbols, and the interface must bind to the Gloo it was
     * compiled against.
     *
     * @return the library
     * @throws ProcessGroupException when Gloo's shared library is missing, saying what to install
     */
    static GlooLibrary load() {
        String resource = "/native/linux-x86_64/libdjlp_gloo.so";
        try (InputStream in = GlooLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ProcessGroupException(
                        "the Gloo interface is built for linux-x86_64 only; this is "
                                + System.getProperty("os.name")
                                + "/"
                                + System.getProperty("os.arch"));
            }
            Path file = Files.createTempFile("libdjlp_gloo", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            int rtldLazy = 0x1;
            int rtldDeepBind = 0x8;
            return Native.load(
                    file.toString(),
                    GlooLibrary.class,
                    Map.of(Library.OPTION_OPEN_FLAGS, rtldLazy | rtldDeepBind));
        } catch (IOException e) {
            throw new ProcessGroupException("could not unpack the Gloo interface", e);
        } catch (UnsatisfiedLinkError e) {
            throw new ProcessGroupException(
                    "Gloo's shared library is missing (Debian/Ubuntu: apt-get install libgloo0): "
                            + e.getMessage(),
                    e);
        }
    }
}

package io.github.djlprecision.pytorch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * LibTorch's process-wide backend switches on {@code at::globalContext()}, as Python's {@code
 * torch.backends.mkldnn.enabled} and {@code torch.backends.nnpack.set_flags} set them, called by
 * symbol name through JNA from the libtorch DJL loaded. They take effect for every operation that
 * starts afterwards, on every thread.
 */
final class LibTorchBackends {

    private static final String CONTEXT = "_ZN2at7Context";

    private final Pointer context;
    private final Function setMkldnn;
    private final Function getMkldnn;
    private final Function setNnpack;
    private final Function getNnpack;

    private LibTorchBackends(NativeLibrary lib) {
        context = lib.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
        setMkldnn = lib.getFunction(CONTEXT + "20setUserEnabledMkldnnEb");
        getMkldnn = lib.getFunction("_ZNK2at7Context17userEnabledMkldnnEv");
        setNnpack = lib.getFunction(CONTEXT + "20setUserEnabledNNPACKEb");
        getNnpack = lib.getFunction("_ZNK2at7Context17userEnabledNNPACKEv");
    }

    /**
     * Loads the PyTorch engine and resolves the switches.
     *
     * @return the switches
     * @throws LibTorchUnavailableException naming the library and the missing symbol
     */
    static LibTorchBackends load() {
        Engine.getEngine("PyTorch"); // loads libtorch, so that LibUtils knows where it is
        Path lib = Path.of(LibUtils.getLibtorchPath(), System.mapLibraryName("torch_cpu"));
        if (!Files.isRegularFile(lib)) {
            throw new LibTorchUnavailableException("libtorch_cpu not found at " + lib);
        }
        try {
            return new LibTorchBackends(NativeLibrary.getInstance(lib.toString()));
        } catch (UnsatisfiedLinkError e) {
            throw new LibTorchUnavailableException(
                    "LibTorch at " + lib + " lacks a backend switch: " + e.getMessage());
        }
    }

    void setMkldnnEnabled(boolean enabled) {
        setMkldnn.invokeVoid(new Object[] {context, (byte) (enabled ? 1 : 0)});
    }

    boolean isMkldnnEnabled() {
        return (getMkldnn.invokeInt(new Object[] {context}) & 0xff) != 0;
    }

    void setNnpackEnabled(boolean enabled) {
        setNnpack.invokeVoid(new Object[] {context, (byte) (enabled ? 1 : 0)});
    }

    boolean isNnpackEnabled() {
        return (getNnpack.invokeInt(new Object[] {context}) & 0xff) != 0;
    }
}

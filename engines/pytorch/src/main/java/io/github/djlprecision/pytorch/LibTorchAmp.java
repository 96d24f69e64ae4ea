package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * LibTorch's autocast switches and GradScaler kernels, called by symbol name through JNA from the
 * libtorch DJL loaded. DJL's JNI has no binding for them.
 *
 * <p>C++ {@code bool} and the 8-bit enums {@code c10::DeviceType} and {@code c10::ScalarType} are
 * passed as Java {@code byte}, and a {@code bool} result is read as the low byte of an int: a Java
 * {@code Boolean} argument does not take effect. A {@code Tensor&} is the address of the {@code
 * torch::Tensor} a DJL handle points to.
 */
final class LibTorchAmp {

    static final byte CPU = 0;
    static final byte CUDA = 1;
    static final byte HALF = 5;
    static final byte FLOAT = 6;
    static final byte BFLOAT16 = 15;

    private static final String AUTOCAST = "_ZN2at8autocast";
    private static final String OPS = "_ZN2at4_ops";

    private static volatile LibTorchAmp instance;

    private final Function setEnabled;
    private final Function isEnabled;
    private final Function setDtype;
    private final Function getDtype;
    private final Function clearCache;
    private final Function incrementNesting;
    private final Function decrementNesting;
    private final Function nonFiniteCheckAndUnscale;
    private final Function updateScale;
    private final Function foreachZero;
    private final Function foreachCopy;
    private final Function clampMin;
    private final Function fusedSgd;
    private final Function fusedAdam;
    private final Function fusedAdamW;

    private LibTorchAmp(NativeLibrary lib) {
        setEnabled = lib.getFunction(AUTOCAST + "20set_autocast_enabledEN3c1010DeviceTypeEb");
        isEnabled = lib.getFunction(AUTOCAST + "19is_autocast_enabledEN3c1010DeviceTypeE");
        setDtype = lib.getFunction(AUTOCAST + "18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE");
        getDtype = lib.getFunction(AUTOCAST + "18get_autocast_dtypeEN3c1010DeviceTypeE");
        clearCache = lib.getFunction(AUTOCAST + "11clear_cacheEv");
        incrementNesting = lib.getFunction(AUTOCAST + "17increment_nestingEv");
        decrementNesting = lib.getFunction(AUTOCAST + "17decrement_nestingEv");
        nonFiniteCheckAndUnscale =
                lib.getFunction(
                        OPS
                                + "42_amp_foreach_non_finite_check_and_unscale_4callEN3c108ArrayRefINS_6TensorEEERS4_RKS4_");
        updateScale = lib.getFunction(OPS + "18_amp_update_scale_4callERNS_6TensorES3_RKS2_ddl");
        // optional: without them the kernels fall back to DJL operations and nothing is fused
        foreachZero = optional(lib, OPS + "14_foreach_zero_4callEN3c108ArrayRefINS_6TensorEEE");
        foreachCopy =
                optional(lib, OPS + "14_foreach_copy_4callEN3c108ArrayRefINS_6TensorEEES5_b");
        clampMin = optional(lib, OPS + "17clamp_min__Tensor4callERNS_6TensorERKS2_");
        fusedSgd =
                optional(
                        lib,
                        OPS
                                + "11_fused_sgd_4callEN3c108ArrayRefINS_6TensorEEES5_S5_ddddbbbRKSt8optionalIS4_ES9_");
        fusedAdam =
                optional(
                        lib,
                        OPS
                                + "12_fused_adam_4callEN3c108ArrayRefINS_6TensorEEES5_S5_S5_S5_S5_dddddbbRKSt8optionalIS4_ES9_");
        fusedAdamW =
                optional(
                        lib,
                        OPS
                                + "13_fused_adamw_4callEN3c108ArrayRefINS_6TensorEEES5_S5_S5_S5_S5_dddddbbRKSt8optionalIS4_ES9_");
    }

    private static Function optional(NativeLibrary lib, String symbol) {
        try {
            return lib.getFunction(symbol);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /**
     * Returns whether this LibTorch has the {@code _foreach_zero_}, {@code _foreach_copy_} and
     * {@code clamp_min_} kernels {@link LibTorchAmpKernels} uses beside the GradScaler ones.
     *
     * @return true if all three were found
     */
    boolean hasForeachKernels() {
        return foreachZero != null && foreachCopy != null && clampMin != null;
    }

    /**
     * Returns whether this LibTorch has the fused SGD, Adam and AdamW kernels.
     *
     * @return true if all three were found
     */
    boolean hasFusedOptimizers() {
        return fusedSgd != null && fusedAdam != null && fusedAdamW != null;
    }

    /**
     * Returns the bridge, resolving every symbol on first use.
     *
     * @return the bridge
     * @throws LibTorchUnavailableException naming the library and the missing symbol
     */
    static LibTorchAmp get() {
        LibTorchAmp amp = instance;
        if (amp == null) {
            synchronized (LibTorchAmp.class) {
                amp = instance;
                if (amp == null) {
                    amp = load();
                    instance = amp;
                }
            }
        }
        return amp;
    }

    private static LibTorchAmp load() {
        Path lib = libtorchCpu();
        try {
            return new LibTorchAmp(NativeLibrary.getInstance(lib.toString()));
        } catch (UnsatisfiedLinkError e) {
            throw new LibTorchUnavailableException(
                    "LibTorch at " + lib + " lacks an autocast or GradScaler symbol: " + e.getMessage());
        }
    }

    /**
     * Returns the {@code libtorch_cpu} DJL loaded, loading the engine first.
     *
     * @return the library's path
     * @throws LibTorchUnavailableException if it is not there
     */
    static Path libtorchCpu() {
        Engine.getEngine("PyTorch"); // loads libtorch, so that LibUtils knows where it is
        Path lib = Path.of(LibUtils.getLibtorchPath(), System.mapLibraryName("torch_cpu"));
        if (!Files.isRegularFile(lib)) {
            throw new LibTorchUnavailableException("libtorch_cpu not found at " + lib);
        }
        return lib;
    }

    static byte deviceType(Device device) {
        if (device.isGpu()) {
            return CUDA;
        }
        if (Device.Type.CPU.equals(device.getDeviceType())) {
            return CPU;
        }
        throw new IllegalArgumentException(
                "LibTorch autocast runs on cpu and gpu devices, not " + device);
    }

    static byte scalarType(DataType type) {
        switch (type) {
            case FLOAT16:
                return HALF;
            case BFLOAT16:
                return BFLOAT16;
            case FLOAT32:
                return FLOAT;
            default:
                throw new IllegalArgumentException(
                        "Autocast computes in float16 or bfloat16, not " + type);
        }
    }

    boolean isEnabled(byte device) {
        return (isEnabled.invokeInt(new Object[] {device}) & 0xff) != 0;
    }

    void setEnabled(byte device, boolean enabled) {
        setEnabled.invokeVoid(new Object[] {device, (byte) (enabled ? 1 : 0)});
    }

    byte getDtype(byte device) {
        return (byte) getDtype.invokeInt(new Object[] {device});
    }

    void setDtype(byte device, byte scalarType) {
        setDtype.invokeVoid(new Object[] {device, scalarType});
    }

    void clearCache() {
        clearCache.invokeVoid(new Object[0]);
    }

    long incrementNesting() {
        return incrementNesting.invokeLong(new Object[0]);
    }

    long decrementNesting() {
        return decrementNesting.invokeLong(new Object[0]);
    }

    /**
     * {@code at::_ops::_amp_foreach_non_finite_check_and_unscale_::call(TensorList, Tensor&, const
     * Tensor&)}: a {@code c10::ArrayRef<Tensor>} is passed by value as (data, length), and an
     * {@code at::Tensor} is one {@code TensorImpl*}, so the list is built from the pointer each
     * DJL handle holds.
     */
    void nonFiniteCheckAndUnscale(List<Long> tensorHandles, long foundInf, long invScale) {
        try (TensorList list = new TensorList(tensorHandles)) {
            nonFiniteCheckAndUnscale.invokeVoid(
                    new Object[] {
                        list.data(), list.size(), new Pointer(foundInf), new Pointer(invScale)
                    });
        }
    }

    /** {@code at::_ops::_foreach_zero_::call(TensorList)}: one launch for the whole list. */
    void foreachZero(List<Long> tensorHandles) {
        try (TensorList list = new TensorList(tensorHandles)) {
            foreachZero.invokeVoid(new Object[] {list.data(), list.size()});
        }
    }

    /**
     * {@code at::_ops::_foreach_copy_::call(TensorList self, TensorList src, bool non_blocking)}:
     * copies with type conversion, across devices where needed.
     */
    void foreachCopy(List<Long> targets, List<Long> sources) {
        try (TensorList self = new TensorList(targets);
                TensorList src = new TensorList(sources)) {
            foreachCopy.invokeVoid(
                    new Object[] {self.data(), self.size(), src.data(), src.size(), (byte) 0});
        }
    }

    /** {@code at::_ops::clamp_min__Tensor::call(Tensor& self, const Tensor& min)}, in place. */
    void clampMin(long tensorHandle, long minHandle) {
        clampMin.invokePointer(new Object[] {new Pointer(tensorHandle), new Pointer(minHandle)});
    }

    /**
     * {@code at::_ops::_fused_sgd_::call(TensorList self, TensorList grads, TensorList
     * momentum_buffer_list, double weight_decay, double momentum, double lr, double dampening, bool
     * nesterov, bool maximize, bool is_first_step, const optional<Tensor>& grad_scale, const
     * optional<Tensor>& found_inf)}: torch's {@code SGD(fused=True)} step for every parameter in one
     * launch; where {@code found_inf} is not 0 nothing changes.
     *
     * @param foundInf the flag's handle, or 0 for none
     */
    void fusedSgd(
            List<Long> params,
            List<Long> grads,
            List<Long> momentumBuffers,
            double weightDecay,
            double momentum,
            double lr,
            long foundInf) {
        try (TensorList self = new TensorList(params);
                TensorList g = new TensorList(grads);
                TensorList buffers = new TensorList(momentumBuffers);
                OptionalTensor scale = new OptionalTensor(0);
                OptionalTensor found = new OptionalTensor(foundInf)) {
            fusedSgd.invokeVoid(
                    new Object[] {
                        self.data(), self.size(), g.data(), g.size(), buffers.data(), buffers.size(),
                        weightDecay, momentum, lr, 0.0, (byte) 0, (byte) 0, (byte) 0,
                        scale.pointer(), found.pointer()
                    });
        }
    }

    /**
     * {@code at::_ops::_fused_adam_::call} (or {@code _fused_adamw_}) {@code (TensorList self,
     * TensorList grads, TensorList exp_avgs, TensorList exp_avg_sqs, TensorList max_exp_avg_sqs,
     * TensorList state_steps, double lr, double beta1, double beta2, double weight_decay, double
     * eps, bool amsgrad, bool maximize, const optional<Tensor>& grad_scale, const
     * optional<Tensor>& found_inf)}: torch's {@code Adam(fused=True)} step, one launch; the caller
     * advances the step counts.
     *
     * @param foundInf the flag's handle, or 0 for none
     */
    void fusedAdam(
            boolean decoupledWeightDecay,
            List<Long> params,
            List<Long> grads,
            List<Long> expAvgs,
            List<Long> expAvgSqs,
            List<Long> stateSteps,
            double lr,
            double beta1,
            double beta2,
            double weightDecay,
            double eps,
            long foundInf) {
        try (TensorList self = new TensorList(params);
                TensorList g = new TensorList(grads);
                TensorList m = new TensorList(expAvgs);
                TensorList v = new TensorList(expAvgSqs);
                TensorList vMax = new TensorList(List.of());
                TensorList steps = new TensorList(stateSteps);
                OptionalTensor scale = new OptionalTensor(0);
                OptionalTensor found = new OptionalTensor(foundInf)) {
            (decoupledWeightDecay ? fusedAdamW : fusedAdam)
                    .invokeVoid(
                            new Object[] {
                                self.data(), self.size(), g.data(), g.size(), m.data(), m.size(),
                                v.data(), v.size(), vMax.data(), vMax.size(), steps.data(),
                                steps.size(), lr, beta1, beta2, weightDecay, eps, (byte) 0,
                                (byte) 0, scale.pointer(), found.pointer()
                            });
        }
    }

    /**
     * A {@code std::optional<at::Tensor>}, passed by const reference: the tensor's {@code
     * TensorImpl*} at offset 0 and the engaged flag at offset 8 (libstdc++'s layout). It borrows the
     * tensor: the callee copies it (taking its own reference) if it keeps it.
     */
    static final class OptionalTensor implements AutoCloseable {

        private final Memory memory = new Memory(16);

        /** @param handle a DJL handle (a {@code torch::Tensor*}), or 0 for an empty optional */
        OptionalTensor(long handle) {
            memory.clear();
            if (handle != 0) {
                memory.setPointer(0, new Pointer(handle).getPointer(0));
                memory.setByte(8, (byte) 1);
            }
        }

        Pointer pointer() {
            return memory;
        }

        @Override
        public void close() {
            memory.close();
        }
    }

    /**
     * A {@code c10::ArrayRef<at::Tensor>}, passed by value as (data, length): an {@code
     * at::Tensor} is one {@code TensorImpl*}, so the array is built from the pointer each DJL
     * handle (a {@code torch::Tensor*}) holds. The callee only borrows the tensors.
     */
    static final class TensorList implements AutoCloseable {

        private final Memory data;
        private final long size;

        TensorList(List<Long> tensorHandles) {
            size = tensorHandles.size();
            data = new Memory(Math.max(1, size) * Long.BYTES);
            for (int i = 0; i < size; i++) {
                data.setPointer((long) Long.BYTES * i, new Pointer(tensorHandles.get(i)).getPointer(0));
            }
        }

        Pointer data() {
            return data;
        }

        long size() {
            return size;
        }

        @Override
        public void close() {
            data.close();
        }
    }

    /** {@code at::_ops::_amp_update_scale_::call(Tensor&, Tensor&, const Tensor&, double, double, int64_t)}. */
    void updateScale(
            long scale, long growthTracker, long foundInf, double growth, double backoff, long interval) {
        updateScale.invokePointer(
                new Object[] {
                    new Pointer(scale),
                    new Pointer(growthTracker),
                    new Pointer(foundInf),
                    growth,
                    backoff,
                    interval
                });
    }

}

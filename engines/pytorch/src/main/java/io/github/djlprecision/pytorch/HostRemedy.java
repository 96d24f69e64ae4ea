package io.github.djlprecision.pytorch;

import java.util.Locale;

/**
 * What LibTorch needs switched off on a host, decided from its {@link HostFacts} and the user's
 * setting, before the first native operation.
 *
 * <p>On a host that hides its cache topology, oneDNN's brgemm convolution backward divides by a
 * cache figure of zero and kills the JVM with SIGFPE ({@code brg_blocking_t::est_eff_1x1}), in
 * fp32 as in bf16; capping oneDNN's ISA avoids it in bf16 only. Turning LibTorch's oneDNN
 * (mkldnn) off, as {@code torch.backends.mkldnn.enabled = False} does, avoids it in every
 * precision: convolutions, matmuls and LSTMs take LibTorch's own kernels, in the same types. The
 * same hosts make NNPACK fail to start, and LibTorch then logs {@code Could not initialize NNPACK!}
 * on every convolution; it is turned off as {@code torch.backends.nnpack.set_flags(False)} does.
 * NNPACK needs AVX2 and FMA on x86, so it is also turned off on a CPU without them.
 *
 * @param mkldnnOff whether to switch LibTorch's oneDNN off
 * @param nnpackOff whether to switch NNPACK off
 * @param cause why in a few words, for the plugin's path; empty when nothing is switched off
 * @param reason why in a sentence, for the log; empty when nothing is switched off
 */
public record HostRemedy(boolean mkldnnOff, boolean nnpackOff, String cause, String reason) {

    /** System property that chooses the remedy: {@code auto} (default), {@code on} or {@code off}. */
    public static final String PROPERTY = "djl.precision.pytorch.hostRemedy";

    /** Environment variable read when {@link #PROPERTY} is not set. */
    public static final String ENV = "DJL_PRECISION_HOST_REMEDY";

    /** Nothing switched off. */
    static final HostRemedy NONE = new HostRemedy(false, false, "", "");

    /** The user's choice. */
    public enum Setting {
        /** Switch off what this host needs switched off (the default). */
        AUTO,
        /** Switch oneDNN and NNPACK off on any host, e.g. to reproduce the remedy elsewhere. */
        ON,
        /** Switch nothing off, whatever the host. */
        OFF;

        /**
         * Parses a setting.
         *
         * @param value {@code auto}, {@code on} or {@code off} (any case); null or blank means auto
         * @param source where the value came from, for the error
         * @return the setting
         * @throws IllegalArgumentException naming the value and the accepted ones
         */
        public static Setting parse(String value, String source) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        source + "=" + value + " is not a host remedy setting; use auto, on or off.",
                        e);
            }
        }

        /**
         * Reads the setting from {@link #PROPERTY}, else {@link #ENV}, else auto.
         *
         * @return the setting
         * @throws IllegalArgumentException for a value other than auto, on or off
         */
        public static Setting current() {
            String property = System.getProperty(PROPERTY);
            if (property != null) {
                return parse(property, PROPERTY);
            }
            return parse(System.getenv(ENV), ENV);
        }
    }

    /**
     * Decides what to switch off.
     *
     * @param facts the host's facts, read or recorded
     * @param setting the user's choice
     * @return the remedy; {@link #NONE} on a host that shows its caches and has AVX2 and FMA, or
     *     with {@link Setting#OFF}
     */
    public static HostRemedy decide(HostFacts facts, Setting setting) {
        switch (setting) {
            case OFF:
                return NONE;
            case ON:
                return new HostRemedy(true, true, "forced", "forced with " + PROPERTY + "=on");
            default:
                if (!facts.showsCacheTopology()) {
                    return new HostRemedy(
                            true,
                            true,
                            "no CPU cache topology",
                            "this host hides its CPU cache topology, where oneDNN's convolution"
                                    + " backward divides by zero (SIGFPE) and NNPACK cannot start");
                }
                boolean x86 = facts.flags().contains("sse2");
                if (x86 && !(facts.flags().contains("avx2") && facts.flags().contains("fma"))) {
                    return new HostRemedy(
                            false, true, "no AVX2/FMA", "this CPU lacks AVX2 or FMA, which NNPACK needs to start");
                }
                return NONE;
        }
    }

    /**
     * Returns whether anything is switched off.
     *
     * @return true when oneDNN or NNPACK is
     */
    public boolean applies() {
        return mkldnnOff || nnpackOff;
    }

    /**
     * Describes what is switched off, e.g. {@code "oneDNN and NNPACK off"}.
     *
     * @return the switches, or an empty string when nothing is
     */
    public String switches() {
        if (mkldnnOff && nnpackOff) {
            return "oneDNN and NNPACK off";
        }
        if (mkldnnOff) {
            return "oneDNN off";
        }
        return nnpackOff ? "NNPACK off" : "";
    }
}

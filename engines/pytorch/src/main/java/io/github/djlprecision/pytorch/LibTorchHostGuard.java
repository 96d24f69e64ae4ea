package io.github.djlprecision.pytorch;

import io.github.djlprecision.spi.EngineHostGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@link HostRemedy} this host needs to LibTorch, once per process, before the first
 * operation of any trainer, inference block or compatibility cell: every plugin is built after
 * {@link io.github.djlprecision.spi.PrecisionPlugins#prepareHost(String)} ran it. Logs once what
 * was switched off and why; each PyTorch plugin's path ends with {@link #pathNote()}.
 *
 * <p>On a host that needs nothing (it shows its cache topology, its CPU has AVX2 and FMA) nothing
 * native is called, so nothing changes.
 */
public final class LibTorchHostGuard implements EngineHostGuard {

    private static final Logger logger = LoggerFactory.getLogger(LibTorchHostGuard.class);

    private static volatile HostRemedy applied;

    /** Creates the guard; {@link java.util.ServiceLoader} uses this constructor. */
    public LibTorchHostGuard() {}

    @Override
    public boolean supportsEngine(String engineName) {
        return PyTorchPrecisionProvider.ENGINE.equals(engineName);
    }

    @Override
    public void prepare() {
        ensureApplied();
    }

    /**
     * Decides from this host's facts and the setting ({@link HostRemedy#PROPERTY}, {@link
     * HostRemedy#ENV}) and applies the remedy, the first time it is called in the process; an
     * entry point that runs a user's model without a plugin calls it before its first operation.
     *
     * @return the remedy in effect
     * @throws IllegalArgumentException for a setting other than auto, on or off
     */
    public static HostRemedy ensureApplied() {
        HostRemedy remedy = applied;
        if (remedy == null) {
            synchronized (LibTorchHostGuard.class) {
                remedy = applied;
                if (remedy == null) {
                    HostFacts facts = HostFacts.read();
                    remedy = HostRemedy.decide(facts, HostRemedy.Setting.current());
                    if (remedy.applies()) {
                        remedy = apply(remedy, facts);
                    }
                    applied = remedy;
                }
            }
        }
        return remedy;
    }

    /**
     * Returns what the guard switched off, for the end of a plugin's path, e.g. {@code "; oneDNN
     * and NNPACK off (no CPU cache topology)"}.
     *
     * @return the note, or an empty string when nothing was switched off
     */
    public static String pathNote() {
        HostRemedy remedy = applied;
        return remedy == null || !remedy.applies()
                ? ""
                : "; " + remedy.switches() + " (" + remedy.cause() + ")";
    }

    private static HostRemedy apply(HostRemedy remedy, HostFacts facts) {
        LibTorchBackends backends;
        try {
            backends = LibTorchBackends.load();
        } catch (LibTorchUnavailableException e) {
            logger.warn(
                    "LibTorch should run with {} because {}, but cannot be switched: {}. Host: {}",
                    remedy.switches(),
                    remedy.reason(),
                    e.getMessage(),
                    facts.describe());
            return HostRemedy.NONE;
        }
        if (remedy.mkldnnOff()) {
            backends.setMkldnnEnabled(false);
        }
        if (remedy.nnpackOff()) {
            backends.setNnpackEnabled(false);
        }
        logger.warn(
                "LibTorch runs with {} because {}; convolutions, matmuls and LSTMs take LibTorch's"
                        + " own kernels in the same types (slower). Set -D{}=off (or {}=off) to keep"
                        + " them. Host: {}",
                remedy.switches(),
                remedy.reason(),
                HostRemedy.PROPERTY,
                HostRemedy.ENV,
                facts.describe());
        return remedy;
    }
}

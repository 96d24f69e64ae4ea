package io.github.djlprecision.spi;

/**
 * Prepares an engine for the host it runs on before its first native operation, e.g. switches off
 * a native backend that is known to crash on this kind of host; found through {@link
 * java.util.ServiceLoader}. {@link PrecisionPlugins#prepareHost(String)} runs every guard of an
 * engine before any plugin is built, so the trainer, inference blocks and the compatibility matrix
 * all pass through it. A jar registers one by naming its class in {@code
 * META-INF/services/io.github.djlprecision.spi.EngineHostGuard}.
 */
public interface EngineHostGuard {

    /**
     * Returns whether this guard prepares an engine.
     *
     * @param engineName the engine's name, e.g. {@code "PyTorch"}
     * @return true if {@link #prepare()} concerns that engine
     */
    boolean supportsEngine(String engineName);

    /**
     * Decides once per process and applies what the host needs; later calls do nothing. Must be
     * cheap when nothing is needed, and must not abort the JVM.
     */
    void prepare();
}

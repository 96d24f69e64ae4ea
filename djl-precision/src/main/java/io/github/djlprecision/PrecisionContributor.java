package io.github.djlprecision;

import java.util.Set;

/**
 * Adds precisions to the ones Lightning names, found through {@link java.util.ServiceLoader}: a
 * jar registers one by naming its class in {@code
 * META-INF/services/io.github.djlprecision.PrecisionContributor}. {@link Precision#parse} and
 * {@link Precision#values()} then know its precisions, so {@code PrecisionConfig.of("fp8-mixed")}
 * works. A plugin provider that serves a new precision is usually its contributor too ({@code
 * PrecisionPluginProvider} extends this interface): one class, named in both service files.
 */
public interface PrecisionContributor {

    /**
     * Returns the precisions this contributor knows. A contributor returns each precision it adds
     * as one constant built with {@link Precision#builder(String)}; Lightning's own constants may
     * be among them and are not added twice.
     *
     * @return the precisions
     */
    Set<Precision> getPrecisions();
}

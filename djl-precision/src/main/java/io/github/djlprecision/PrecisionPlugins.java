package io.github.djlprecision;

import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPluginProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Finds the plugin for an engine and precision among the providers on the class path. */
public final class PrecisionPlugins {

    private PrecisionPlugins() {}

    /**
     * Returns every provider {@link ServiceLoader} finds.
     *
     * @return the providers, highest priority first
     */
    public static List<PrecisionPluginProvider> providers() {
        List<PrecisionPluginProvider> providers = new ArrayList<>();
        ServiceLoader.load(PrecisionPluginProvider.class).forEach(providers::add);
        providers.sort(Comparator.comparingInt(PrecisionPluginProvider::getPriority).reversed());
        return providers;
    }

    /**
     * Builds the plugin for a request: the provider the user named, or else the highest-priority
     * provider that serves the engine and precision.
     *
     * @param request what to build for
     * @return the plugin
     * @throws UnsupportedPrecisionException if no installed provider serves the request, naming
     *     what is available instead
     */
    public static PrecisionPlugin create(PluginRequest request) {
        return select(request).create(request);
    }

    /**
     * Returns the provider {@link #create} would use.
     *
     * @param request what to build for
     * @return the provider
     * @throws UnsupportedPrecisionException if none serves the request
     */
    public static PrecisionPluginProvider select(PluginRequest request) {
        List<PrecisionPluginProvider> providers = providers();
        Precision precision = request.config().getPrecision();
        Optional<String> named = request.config().getPluginName();
        if (named.isPresent()) {
            return providers.stream()
                    .filter(p -> p.getName().equals(named.get()))
                    .findFirst()
                    .orElseThrow(
                            () ->
                                    new UnsupportedPrecisionException(
                                            "No precision plugin provider named '"
                                                    + named.get()
                                                    + "' is on the class path. Installed: "
                                                    + names(providers)
                                                    + "."));
        }
        List<PrecisionPluginProvider> forEngine =
                providers.stream()
                        .filter(p -> p.supportsEngine(request.engineName()))
                        .collect(Collectors.toList());
        return forEngine.stream()
                .filter(p -> p.getPrecisions().contains(precision))
                .findFirst()
                .orElseThrow(
                        () -> {
                            TreeSet<String> available = new TreeSet<>();
                            forEngine.forEach(
                                    p -> p.getPrecisions().forEach(q -> available.add(q.value())));
                            return new UnsupportedPrecisionException(
                                    "Precision '"
                                            + precision
                                            + "' is not yet supported on the "
                                            + request.engineName()
                                            + " engine by any installed plugin. Supported there: "
                                            + (available.isEmpty() ? "none" : available)
                                            + ". Installed providers: "
                                            + names(providers)
                                            + ".");
                        });
    }

    private static String names(List<PrecisionPluginProvider> providers) {
        return providers.isEmpty()
                ? "none"
                : providers.stream()
                        .map(PrecisionPluginProvider::getName)
                        .collect(Collectors.joining(", "));
    }
}

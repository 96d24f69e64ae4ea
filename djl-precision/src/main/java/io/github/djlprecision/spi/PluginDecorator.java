package io.github.djlprecision.spi;

import io.github.djlprecision.PluginDecoratorConfig;
import java.util.List;

/**
 * Wraps the plugin of a precision in another plugin, e.g. the precision circuit breaker; found
 * through {@link java.util.ServiceLoader} by the name of the {@link PluginDecoratorConfig} the user
 * adds with {@code PrecisionConfig.Builder.optDecorator}. A jar registers one by naming its class
 * in {@code META-INF/services/io.github.djlprecision.spi.PluginDecorator}.
 */
public interface PluginDecorator {

    /**
     * Returns the name settings refer to this decorator by.
     *
     * @return a unique name
     */
    String getName();

    /**
     * Lists what stops this decorator from wrapping a plugin, so that the trainer reports it with
     * every other problem at once.
     *
     * @param request what the plugin was built for; its config holds this decorator's settings
     * @param plugin the plugin to wrap, or null if none could be built
     * @return the problems, each with what to do instead; empty when the decorator can wrap it
     */
    List<String> check(PluginRequest request, PrecisionPlugin plugin);

    /**
     * Wraps a plugin; called only when {@link #check} found nothing.
     *
     * @param request what the plugin was built for
     * @param plugin the plugin to wrap; the result owns it and closes it
     * @param config this decorator's settings, from the request's config
     * @return the wrapping plugin
     */
    PrecisionPlugin decorate(
            PluginRequest request, PrecisionPlugin plugin, PluginDecoratorConfig config);
}

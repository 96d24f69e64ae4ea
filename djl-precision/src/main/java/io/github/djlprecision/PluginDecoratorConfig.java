package io.github.djlprecision;

/**
 * The settings of a plugin decorator, e.g. the precision circuit breaker: a plugin that wraps the
 * precision's own plugin, in the style of Resilience4j's decorators. The decorator itself is found
 * through {@link java.util.ServiceLoader} by the name these settings give, so a module that ships
 * one is needed only by the users who turn it on.
 */
public interface PluginDecoratorConfig {

    /**
     * Returns the name of the decorator these settings are for.
     *
     * @return the name, as the decorator's provider gives it
     */
    String getDecoratorName();
}

package io.github.djlprecision.breaker;

import ai.djl.ndarray.types.DataType;
import io.github.djlprecision.PluginDecoratorConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginDecorator;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the precision circuit breaker around a plugin: checks that the precision can be guarded,
 * then builds a plugin for every safer precision the engine, devices and model support, skipping
 * those they do not (e.g. {@code bf16-mixed} on a GPU below compute capability 8.0).
 */
public final class CircuitBreakerDecorator implements PluginDecorator {

    private static final Logger logger = LoggerFactory.getLogger(CircuitBreakerDecorator.class);

    @Override
    public String getName() {
        return PrecisionBreakerConfig.NAME;
    }

    @Override
    public List<String> check(PluginRequest request, PrecisionPlugin plugin) {
        List<String> problems = new ArrayList<>();
        PrecisionConfig config = request.config();
        Precision precision = config.getPrecision();
        if (!precision.isMixed()) {
            problems.add(
                    "The precision circuit breaker guards '16-mixed' and 'bf16-mixed', not '"
                            + precision
                            + "': only mixed precisions keep fp32 weights, so only they can change"
                            + " precision without converting the model. Use a mixed precision or"
                            + " drop the breaker.");
        }
        config.getAmpLevel()
                .ifPresent(
                        level ->
                                problems.add(
                                        "The precision circuit breaker cannot guard amp_level "
                                                + level
                                                + " (Apex levels convert the model itself). Drop"
                                                + " amp_level or the breaker."));
        float initScale = config.getGradScaler().getInitScale();
        for (PluginDecoratorConfig decorator : config.getDecorators()) {
            if (decorator instanceof PrecisionBreakerConfig breaker
                    && precision == Precision.HALF_MIXED
                    && breaker.getLossScaleFloor() > initScale) {
                // the scale starts below the floor's trigger and only backs off: it never trips
                problems.add(
                        "The precision circuit breaker's loss-scale floor "
                                + breaker.getLossScaleFloor()
                                + " is above the initial loss scale "
                                + initScale
                                + ", so the breaker would never trip on it. Accepted: a floor in"
                                + " [0, "
                                + initScale
                                + "] (GradScalerConfig's initial scale), 0 for none.");
            }
        }
        if (problems.isEmpty() && plugin != null && !isAutocast(plugin)) {
            problems.add(
                    "The precision circuit breaker needs the autocast recipe (fp32 weights used as"
                            + " they are), but "
                            + plugin.getPath()
                            + " is in effect. Enable native autocast, or drop the breaker.");
        }
        return problems;
    }

    /**
     * Builds the ladder: the requested precision, then each safer precision that can run here.
     *
     * @return the breaker plugin; it owns {@code plugin} and closes it
     */
    @Override
    public PrecisionPlugin decorate(
            PluginRequest request, PrecisionPlugin plugin, PluginDecoratorConfig config) {
        List<PrecisionPlugin> ladder = new ArrayList<>(List.of(plugin));
        try {
            for (Precision safer : saferThan(plugin.getPrecision())) {
                fallback(request, safer).ifPresent(ladder::add);
            }
        } catch (RuntimeException e) {
            ladder.subList(1, ladder.size()).forEach(PrecisionPlugin::close);
            throw e;
        }
        if (ladder.size() == 1) {
            logger.warn(
                    "Precision circuit breaker: no safer precision than {} is available here; it"
                            + " will only skip steps with inf or NaN gradients.",
                    plugin.getPrecision());
        }
        PrecisionCircuitBreaker breaker =
                new PrecisionCircuitBreaker((PrecisionBreakerConfig) config, ladder);
        logger.info("Precision circuit breaker on: {}", breaker.getLadder());
        return breaker;
    }

    private static Optional<PrecisionPlugin> fallback(
            PluginRequest request, Precision safer) {
        PrecisionConfig fallback =
                PrecisionConfig.builder()
                        .optPrecision(safer)
                        .optNativeAutocast(request.config().isNativeAutocast())
                        .optGradScaler(request.config().getGradScaler())
                        .build();
        try {
            PrecisionPlugin plugin = PrecisionPlugins.create(request.withConfig(fallback));
            if (isAutocast(plugin)) {
                return Optional.of(plugin);
            }
            logger.info(
                    "Precision circuit breaker: {} runs as {} here, which does not keep fp32"
                            + " weights; it cannot be a fallback",
                    safer,
                    plugin.getPath());
            plugin.close();
        } catch (UnsupportedPrecisionException e) {
            logger.info(
                    "Precision circuit breaker: {} cannot be a fallback here: {}",
                    safer,
                    e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Only between recipes that hold fp32 weights and compute with them as they are can the
     * breaker switch without converting anything (Apex O2 computes with fp16 working copies).
     */
    private static boolean isAutocast(PrecisionPlugin plugin) {
        return plugin.getParameterType() == DataType.FLOAT32
                && plugin.getWorkingParameterType() == DataType.FLOAT32;
    }

    private static List<Precision> saferThan(Precision precision) {
        return precision == Precision.HALF_MIXED
                ? List.of(Precision.BF16_MIXED, Precision.FLOAT_TRUE)
                : List.of(Precision.FLOAT_TRUE);
    }
}

package io.github.djlprecision.breaker;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.metric.Dimension;
import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import ai.djl.metric.Unit;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.PrecisionListener;
import io.github.djlprecision.PrecisionPlugins;
import io.github.djlprecision.PrecisionTrainer;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.scaling.DjlScalerKernels;
import io.github.djlprecision.scaling.ScalerKernels;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.StepOutcome;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The precision circuit breaker: a plugin that delegates every hook to the plugin of the
 * precision now in effect, on a ladder such as {@code 16-mixed -> bf16-mixed -> 32-true}. Every
 * rung but the last is guarded by a Resilience4j {@link CircuitBreaker} that counts skipped steps
 * as failures over a sliding window; a failure rate at the threshold, or a loss scale below the
 * floor, opens it, and the next step runs on the next rung. After the configured number of steps
 * the breaker goes half-open and the faster rung is probed; if the probe's failure rate stays below
 * the threshold it closes and training stays there, else it opens again.
 *
 * <p>Switching is cheap and loses nothing because every rung keeps fp32 parameters: only the
 * forward context and the loss scaling change, while the weights, the optimizer (and its state)
 * and the trainer's step count are shared. A rung that opens goes back to its state after its last
 * healthy step (for fp16, the loss scale before the trouble), so a probe starts from a scale that
 * worked. Rungs without loss scaling get a non-finite check, so a bad batch is skipped there too
 * rather than written into the weights.
 */
public final class PrecisionBreakerPlugin implements PrecisionPlugin {

    /** Metric: 1 for every breaker transition, with dimensions precision, from and to. */
    public static final String METRIC_TRANSITION = "precision_breaker_transition";

    private static final Logger logger = LoggerFactory.getLogger(PrecisionBreakerPlugin.class);

    private static final String BREAKER = "breaker.";
    private static final String RUNG = "rung.";

    private final PrecisionBreakerConfig config;
    private final List<Rung> rungs = new ArrayList<>();
    private final ScalerKernels guard = new DjlScalerKernels();
    private volatile Rung active;
    private PrecisionTrainer trainer;
    private String pendingReason;
    private boolean restoring;

    private PrecisionBreakerPlugin(PrecisionBreakerConfig config, List<PrecisionPlugin> plugins) {
        this.config = config;
        for (int i = 0; i < plugins.size(); i++) {
            PrecisionPlugin plugin = plugins.get(i);
            CircuitBreaker breaker = null;
            if (i < plugins.size() - 1) {
                breaker =
                        CircuitBreaker.of(
                                "precision-" + plugin.getPrecision().value(),
                                config.toResilience4j());
            }
            Rung rung = new Rung(plugin, breaker);
            if (breaker != null) {
                breaker.getEventPublisher()
                        .onStateTransition(e -> onTransition(rung, e.getStateTransition()));
            }
            rungs.add(rung);
        }
        active = rungs.get(0);
    }

    /**
     * Lists what stops the breaker from guarding a configuration, so that the trainer can report
     * it with every other problem.
     *
     * @param config the user's precision settings
     * @param primary the plugin built for them, or null if none could be built
     * @return the problems; empty when the breaker is off or can guard the precision
     */
    public static List<String> problems(PrecisionConfig config, PrecisionPlugin primary) {
        List<String> problems = new ArrayList<>();
        if (config.getCircuitBreaker().isEmpty()) {
            return problems;
        }
        Precision precision = config.getPrecision();
        if (!precision.isMixed()) {
            problems.add(
                    "The precision circuit breaker guards '16-mixed' and 'bf16-mixed', not '"
                            + precision
                            + "': only mixed precisions keep fp32 weights, so only they can change"
                            + " precision without converting the model. Use a mixed precision or"
                            + " optCircuitBreakerOff().");
        }
        config.getAmpLevel()
                .ifPresent(
                        level ->
                                problems.add(
                                        "The precision circuit breaker cannot guard amp_level "
                                                + level
                                                + " (Apex levels convert the model itself). Drop"
                                                + " amp_level or the breaker."));
        if (problems.isEmpty() && primary != null && !keepsFp32Weights(primary)) {
            problems.add(
                    "The precision circuit breaker needs the autocast recipe (fp32 weights), but "
                            + primary.getPath()
                            + " is in effect. Enable native autocast, or drop the breaker.");
        }
        return problems;
    }

    /**
     * Puts a breaker around a plugin: builds a plugin for every safer precision the engine,
     * device and model support, and skips those they do not (e.g. {@code bf16-mixed} on a GPU
     * below compute capability 8.0, or on a model with blocks that cannot run in bf16).
     *
     * @param request what the primary plugin was built for; its config must have the breaker on
     * @param primary the plugin of the requested precision
     * @return the breaker plugin; it owns {@code primary} and closes it
     */
    public static PrecisionBreakerPlugin wrap(PluginRequest request, PrecisionPlugin primary) {
        PrecisionConfig config = request.config();
        List<PrecisionPlugin> plugins = new ArrayList<>(List.of(primary));
        try {
            for (Precision safer : saferThan(primary.getPrecision())) {
                PrecisionConfig fallback =
                        PrecisionConfig.builder()
                                .optPrecision(safer)
                                .optNativeAutocast(config.isNativeAutocast())
                                .build();
                try {
                    PrecisionPlugin plugin =
                            PrecisionPlugins.create(
                                    new PluginRequest(
                                            request.engineName(),
                                            request.device(),
                                            fallback,
                                            request.purpose(),
                                            request.model()));
                    if (keepsFp32Weights(plugin)) {
                        plugins.add(plugin);
                    } else {
                        logger.info(
                                "Precision circuit breaker: {} runs as {} here, which does not keep"
                                        + " fp32 weights; it cannot be a fallback",
                                safer,
                                plugin.getPath());
                        plugin.close();
                    }
                } catch (UnsupportedPrecisionException e) {
                    logger.info(
                            "Precision circuit breaker: {} cannot be a fallback here: {}",
                            safer,
                            e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            plugins.subList(1, plugins.size()).forEach(PrecisionPlugin::close);
            throw e;
        }
        PrecisionBreakerPlugin plugin =
                new PrecisionBreakerPlugin(config.getCircuitBreaker().orElseThrow(), plugins);
        if (plugins.size() == 1) {
            logger.warn(
                    "Precision circuit breaker: no safer precision than {} is available here; it"
                            + " will only skip steps with inf or NaN gradients.",
                    primary.getPrecision());
        }
        logger.info("Precision circuit breaker on: {}", plugin.getLadder());
        return plugin;
    }

    /**
     * Only between recipes that hold the model's weights in fp32 can the breaker switch without
     * converting the model (Apex O2, for one, holds fp16 weights).
     */
    private static boolean keepsFp32Weights(PrecisionPlugin plugin) {
        return plugin.getParameterType() == DataType.FLOAT32;
    }

    private static List<Precision> saferThan(Precision precision) {
        return precision == Precision.HALF_MIXED
                ? List.of(Precision.BF16_MIXED, Precision.FLOAT_TRUE)
                : List.of(Precision.FLOAT_TRUE);
    }

    /**
     * Returns the requested precision; the one in effect is {@link #getActivePrecision()}.
     *
     * @return the precision the run was configured with
     */
    @Override
    public Precision getPrecision() {
        return rungs.get(0).precision();
    }

    /**
     * Returns the precision the next step runs in.
     *
     * @return the active precision
     */
    public Precision getActivePrecision() {
        return active.precision();
    }

    /**
     * Returns the precisions this breaker moves between, fastest first.
     *
     * @return the ladder
     */
    public List<Precision> getLadder() {
        return rungs.stream().map(Rung::precision).collect(Collectors.toList());
    }

    /**
     * Returns the state of the breaker that guards a precision of the ladder.
     *
     * @param precision a precision of the ladder other than the last
     * @return the breaker's state
     * @throws IllegalArgumentException for the last rung, which no breaker guards, or a precision
     *     not on the ladder
     */
    public State getBreakerState(Precision precision) {
        for (Rung rung : rungs) {
            if (rung.precision() == precision && rung.breaker != null) {
                return rung.breaker.getState();
            }
        }
        throw new IllegalArgumentException(
                "No breaker guards " + precision + "; the ladder is " + getLadder());
    }

    @Override
    public String getPath() {
        return "circuit-breaker("
                + getLadder().stream().map(Precision::value).collect(Collectors.joining(" -> "))
                + "; active: "
                + active.plugin.getPath()
                + ")";
    }

    // every rung keeps fp32 parameters, so the requested precision's hooks shape the model for all

    @Override
    public void beforeInitialize(Model model) {
        rungs.get(0).plugin.beforeInitialize(model);
    }

    @Override
    public void convertModule(Model model) {
        rungs.get(0).plugin.convertModule(model);
    }

    @Override
    public Optimizer convertOptimizer(Optimizer optimizer) {
        return rungs.get(0).plugin.convertOptimizer(optimizer);
    }

    @Override
    public ForwardContext forwardContext(Device device) {
        return active.plugin.forwardContext(device);
    }

    @Override
    public NDList convertInput(NDList input) {
        return active.plugin.convertInput(input);
    }

    @Override
    public NDList convertOutput(NDList output) {
        return active.plugin.convertOutput(output);
    }

    @Override
    public NDArray preBackward(NDArray loss) {
        return active.plugin.preBackward(loss);
    }

    @Override
    public boolean supportsGradientClipping() {
        return rungs.stream().allMatch(r -> r.plugin.supportsGradientClipping());
    }

    @Override
    public void clipGradients(List<NDArray> gradients, GradientClipping clipping) {
        active.plugin.clipGradients(gradients, clipping);
    }

    /**
     * Runs the step on the active rung, through its breaker; then lets the rungs whose breaker is
     * open count the step towards their wait.
     */
    @Override
    public StepOutcome optimizerStep(StepContext context) {
        Rung rung = active;
        List<Rung> waiting = rungs.stream().filter(Rung::isOpen).collect(Collectors.toList());
        StepOutcome outcome;
        if (rung.breaker == null) {
            outcome = guardedStep(rung, context);
        } else {
            outcome =
                    CircuitBreaker.decorateSupplier(rung.breaker, () -> guardedStep(rung, context))
                            .get();
            checkScale(rung, outcome);
        }
        for (Rung open : waiting) {
            open.openSteps++;
            if (open.openSteps >= config.getWaitSteps()) {
                pendingReason =
                        "waited "
                                + open.openSteps
                                + " steps; probing "
                                + open.precision()
                                + " for "
                                + config.getProbeSteps()
                                + " steps";
                open.breaker.transitionToHalfOpenState();
            }
        }
        return outcome;
    }

    private StepOutcome guardedStep(Rung rung, StepContext context) {
        if (!rung.precision().usesLossScaling()) {
            // nothing else checks these gradients: one bad batch would put NaN into the weights
            List<NDArray> gradients = context.gradients();
            if (guard.unscaleAndCheck(gradients, 1f)) {
                guard.discardGradients(gradients);
                return new StepOutcome(
                        false,
                        "inf or NaN gradients in " + rung.precision() + " (circuit breaker guard)",
                        Float.NaN);
            }
        }
        return rung.plugin.optimizerStep(context);
    }

    private void checkScale(Rung rung, StepOutcome outcome) {
        boolean belowFloor = outcome.lossScale() < config.getLossScaleFloor(); // NaN: no scaling
        if (outcome.applied() && !belowFloor) {
            rung.lastGood = rung.plugin.stateDict();
        }
        if (belowFloor && !rung.isOpen()) {
            pendingReason =
                    "loss scale "
                            + outcome.lossScale()
                            + " fell below the floor "
                            + config.getLossScaleFloor();
            rung.breaker.transitionToOpenState();
        }
    }

    private void onTransition(Rung rung, CircuitBreaker.StateTransition transition) {
        State from = transition.getFromState();
        State to = transition.getToState();
        String reason = pendingReason;
        pendingReason = null;
        if (to == State.OPEN && !restoring) {
            if (reason == null) {
                CircuitBreaker.Metrics metrics = rung.breaker.getMetrics();
                reason =
                        String.format(
                                "%s%d of the last %d steps skipped (%.1f%%, threshold %.1f%%)",
                                from == State.HALF_OPEN ? "probe failed: " : "",
                                metrics.getNumberOfFailedCalls(),
                                metrics.getNumberOfBufferedCalls(),
                                metrics.getFailureRate(),
                                config.getFailureRateThreshold());
            }
            // start the next probe from the state of the last healthy step, not the collapsed one
            rung.plugin.loadStateDict(rung.lastGood);
            rung.openSteps = 0;
        } else if (to == State.CLOSED && reason == null) {
            reason = "probe of " + config.getProbeSteps() + " steps passed";
        }
        Precision before = active.precision();
        active = rungs.stream().filter(r -> !r.isOpen()).findFirst().orElseThrow();
        long step = trainer == null ? -1 : trainer.getStepCount();
        BreakerTransition event =
                new BreakerTransition(
                        step,
                        rung.precision(),
                        from,
                        to,
                        before,
                        active.precision(),
                        restoring ? "restored from checkpoint" : reason);
        if (restoring) {
            logger.info("Precision circuit breaker resumed: {}", event);
            return;
        }
        if (to == State.OPEN) {
            logger.warn("Precision circuit breaker tripped: {}", event);
        } else {
            logger.info("Precision circuit breaker: {}", event);
        }
        if (trainer == null) {
            return;
        }
        Metrics metrics = trainer.getMetrics();
        if (metrics != null) {
            metrics.addMetric(
                    new Metric(
                            METRIC_TRANSITION,
                            1,
                            Unit.COUNT,
                            new Dimension("precision", rung.precision().value()),
                            new Dimension("from", from.name()),
                            new Dimension("to", to.name())));
        }
        PrecisionTrainer source = trainer;
        source.notifyListeners(
                listener -> {
                    if (listener instanceof PrecisionListener) {
                        ((PrecisionListener) listener).onBreakerTransition(source, event);
                    }
                });
    }

    /**
     * Returns the requested precision's state unprefixed (so a run resumed without the breaker
     * keeps its loss scale), each fallback's under {@code rung.<precision>.}, and each breaker's
     * state, wait progress and last healthy plugin state under {@code breaker.<precision>.}.
     */
    @Override
    public Map<String, String> stateDict() {
        Map<String, String> state = new LinkedHashMap<>(rungs.get(0).plugin.stateDict());
        state.put(BREAKER + "active", active.precision().value());
        for (int i = 0; i < rungs.size(); i++) {
            Rung rung = rungs.get(i);
            if (i > 0) {
                String prefix = RUNG + rung.precision().value() + ".";
                rung.plugin.stateDict().forEach((k, v) -> state.put(prefix + k, v));
            }
            if (rung.breaker != null) {
                String prefix = BREAKER + rung.precision().value() + ".";
                state.put(prefix + "state", rung.breaker.getState().name());
                state.put(prefix + "open_steps", Integer.toString(rung.openSteps));
                rung.lastGood.forEach((k, v) -> state.put(prefix + "last_good." + k, v));
            }
        }
        return state;
    }

    /**
     * Restores the state {@link #stateDict()} saved. An open breaker resumes its wait where it
     * was; a half-open one restarts its probe. The sliding window's recent outcomes are not saved:
     * a closed breaker judges the failure rate on the steps after the resume.
     */
    @Override
    public void loadStateDict(Map<String, String> state) {
        restoring = true;
        try {
            for (int i = 0; i < rungs.size(); i++) {
                Rung rung = rungs.get(i);
                rung.plugin.loadStateDict(
                        i == 0 ? state : strip(state, RUNG + rung.precision().value() + "."));
                if (rung.breaker == null) {
                    continue;
                }
                String prefix = BREAKER + rung.precision().value() + ".";
                Map<String, String> good = strip(state, prefix + "last_good.");
                rung.lastGood = good.isEmpty() ? rung.plugin.stateDict() : good;
                State saved = State.valueOf(state.getOrDefault(prefix + "state", "CLOSED"));
                if (saved == State.OPEN || saved == State.HALF_OPEN) {
                    rung.breaker.transitionToOpenState();
                    rung.openSteps = Integer.parseInt(state.getOrDefault(prefix + "open_steps", "0"));
                }
                if (saved == State.HALF_OPEN) {
                    rung.breaker.transitionToHalfOpenState();
                }
            }
        } finally {
            restoring = false;
        }
    }

    private static Map<String, String> strip(Map<String, String> state, String prefix) {
        Map<String, String> stripped = new HashMap<>();
        state.forEach(
                (k, v) -> {
                    if (k.startsWith(prefix)) {
                        stripped.put(k.substring(prefix.length()), v);
                    }
                });
        return stripped;
    }

    @Override
    public void onTrainerCreated(PrecisionTrainer trainer) {
        this.trainer = trainer;
        rungs.forEach(r -> r.plugin.onTrainerCreated(trainer));
    }

    /** Closes the plugin of every rung, each even if another fails. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (Rung rung : rungs) {
            try {
                rung.plugin.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** One precision of the ladder, with the breaker that guards it (none on the last). */
    private static final class Rung {

        private final PrecisionPlugin plugin;
        private final CircuitBreaker breaker;
        private Map<String, String> lastGood;
        private int openSteps;

        private Rung(PrecisionPlugin plugin, CircuitBreaker breaker) {
            this.plugin = plugin;
            this.breaker = breaker;
            lastGood = plugin.stateDict();
        }

        private Precision precision() {
            return plugin.getPrecision();
        }

        private boolean isOpen() {
            return breaker != null && breaker.getState() == State.OPEN;
        }
    }
}

package io.github.djlprecision.breaker;

import ai.djl.Model;
import ai.djl.metric.Dimension;
import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import ai.djl.metric.Unit;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.Precision;
import io.github.djlprecision.spi.AmpKernels;
import io.github.djlprecision.spi.ForwardingPrecisionPlugin;
import io.github.djlprecision.spi.FusedOptimizer;
import io.github.djlprecision.spi.PluginContext;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.StepOutcome;
import io.github.djlprecision.spi.UnscaledGradients;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The precision circuit breaker: a plugin decorator, in Resilience4j's style, that forwards every
 * hook it does not override to the plugin of the precision now in effect on a ladder such as {@code 16-mixed ->
 * bf16-mixed -> 32-true}. Every rung but the last is guarded by a Resilience4j {@link
 * CircuitBreaker} that counts skipped steps as failures over a sliding window; a failure rate at
 * the threshold, or a step that overflows with the loss scale at or below the floor, opens it, and
 * the next step runs on the next rung. After the configured number of steps the breaker goes
 * half-open and the faster rung is probed; if the probe's failure rate stays below the threshold
 * it closes and training stays there, else it opens again.
 *
 * <p>Switching is cheap and loses nothing because every rung keeps fp32 parameters and computes
 * with them: only the forward context and the loss scaling change, while the weights, the
 * optimizer (and its state) and the trainer's step count are shared. A rung that opens goes back
 * to its state after its last healthy step (for fp16, the loss scale before the trouble), so a
 * probe starts from a scale that worked. Rungs without loss scaling get a non-finite check, so a
 * bad batch is skipped there too rather than written into the weights. The breaker reads every
 * step's non-finite flag from the device: one read per step, also with a fused optimizer.
 */
public final class PrecisionCircuitBreaker extends ForwardingPrecisionPlugin {

    /** Metric: 1 for every breaker transition, with dimensions precision, from and to. */
    public static final String METRIC_TRANSITION = "precision_breaker_transition";

    private static final Logger logger = LoggerFactory.getLogger(PrecisionCircuitBreaker.class);

    private final PrecisionBreakerConfig config;
    private final List<Rung> rungs = new ArrayList<>();
    private volatile Rung active;
    private Rung stepping;
    private PluginContext context;
    private String pendingReason;
    private boolean restoring;

    PrecisionCircuitBreaker(PrecisionBreakerConfig config, List<PrecisionPlugin> plugins) {
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
    public BreakerState getBreakerState(Precision precision) {
        for (Rung rung : rungs) {
            if (rung.precision() == precision && rung.breaker != null) {
                return rung.state();
            }
        }
        throw new IllegalArgumentException(
                "No breaker guards " + precision + "; the ladder is " + getLadder());
    }

    /** The forward, the loss scaling and every hook not overridden here go to the active rung. */
    @Override
    protected PrecisionPlugin delegate() {
        return active.plugin;
    }

    @Override
    public String getPath() {
        return "circuit-breaker("
                + getLadder().stream().map(Precision::value).collect(Collectors.joining(" -> "))
                + "; active: "
                + active.plugin.getPath()
                + ")";
    }

    @Override
    public void onTrainerCreated(PluginContext trainer) {
        context = trainer;
        rungs.forEach(r -> r.plugin.onTrainerCreated(trainer));
    }

    // every rung keeps fp32 parameters: each shapes the model (e.g. blocks a rung runs in fp32)

    @Override
    public void beforeInitialize(Model model) {
        rungs.forEach(r -> r.plugin.beforeInitialize(model));
    }

    @Override
    public void convertModule(Model model) {
        rungs.forEach(r -> r.plugin.convertModule(model));
    }

    @Override
    public NDArray convertParameter(Parameter parameter, NDArray value) {
        return rungs.get(0).plugin.convertParameter(parameter, value);
    }

    @Override
    public Optional<FusedOptimizer> fuseOptimizer(Optimizer optimizer) {
        return rungs.get(0).plugin.fuseOptimizer(optimizer);
    }

    @Override
    public AmpKernels getKernels() {
        return rungs.get(0).plugin.getKernels();
    }

    @Override
    public boolean supportsGradientClipping() {
        return rungs.stream().allMatch(r -> r.plugin.supportsGradientClipping());
    }

    @Override
    public void clipGradients(List<NDArray> gradients, GradientClipping clipping) {
        stepping.plugin.clipGradients(gradients, clipping);
    }

    /**
     * Unscales and checks on the active rung, through its breaker; a rung without loss scaling
     * gets the check only, so that nothing unchecked reaches the weights.
     */
    @Override
    public UnscaledGradients unscaleGradients(StepContext step) {
        stepping = active;
        if (stepping.breaker != null) {
            stepping.breaker.acquirePermission();
        }
        UnscaledGradients unscaled = stepping.plugin.unscaleGradients(step);
        if (unscaled.isChecked()) {
            return unscaled;
        }
        NDArray foundInf = step.scope().zeros(new Shape(1), DataType.FLOAT32);
        stepping.plugin
                .getKernels()
                .unscaleAndCheck(unscaled.gradients(), foundInf, foundInf.onesLike());
        return new UnscaledGradients(unscaled.gradients(), foundInf);
    }

    /**
     * Lets the step's rung update its state, records the step's outcome with that rung's breaker,
     * and lets the rungs whose breaker is open count the step towards their wait.
     */
    @Override
    public void updateAfterStep(NDArray foundInf) {
        Rung rung = stepping;
        List<Rung> waiting = rungs.stream().filter(Rung::isOpen).collect(Collectors.toList());
        float used = scaleOf(rung);
        rung.plugin.updateAfterStep(foundInf);
        boolean skipped = foundInf != null && foundInf.getFloat() != 0f;
        float scale = scaleOf(rung);
        StepOutcome outcome =
                new StepOutcome(
                        context == null ? -1 : context.getStepCount(),
                        !skipped,
                        skipped ? "inf or NaN gradients in " + rung.precision() : null,
                        scale);
        if (rung.breaker != null) {
            rung.breaker.onResult(0, TimeUnit.NANOSECONDS, outcome);
            checkScale(rung, outcome, used);
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
    }

    private static float scaleOf(Rung rung) {
        return rung.plugin.getLossScale().map(NDArray::getFloat).orElse(Float.NaN);
    }

    /**
     * Trips at once when a step overflows at a loss scale at or below the floor, and remembers
     * the rung's state after every healthy step.
     *
     * @param used the scale the step ran at; NaN (no loss scaling) is never at the floor
     */
    private void checkScale(Rung rung, StepOutcome outcome, float used) {
        if (outcome.applied() && outcome.lossScale() > config.getLossScaleFloor()) {
            rung.lastGood = rung.plugin.stateDict();
        }
        if (!outcome.applied() && used <= config.getLossScaleFloor() && !rung.isOpen()) {
            pendingReason =
                    "a step overflowed at loss scale "
                            + used
                            + ", at or below the floor "
                            + config.getLossScaleFloor();
            rung.breaker.transitionToOpenState();
        }
    }

    private void onTransition(Rung rung, CircuitBreaker.StateTransition transition) {
        BreakerState from = Rung.toState(transition.getFromState());
        BreakerState to = Rung.toState(transition.getToState());
        String reason = pendingReason;
        pendingReason = null;
        if (to == BreakerState.OPEN && !restoring) {
            if (reason == null) {
                CircuitBreaker.Metrics metrics = rung.breaker.getMetrics();
                reason =
                        String.format(
                                "%s%d of the last %d steps skipped (%.1f%%, threshold %.1f%%)",
                                from == BreakerState.HALF_OPEN ? "probe failed: " : "",
                                metrics.getNumberOfFailedCalls(),
                                metrics.getNumberOfBufferedCalls(),
                                metrics.getFailureRate(),
                                config.getFailureRateThreshold());
            }
            // start the next probe from the state of the last healthy step, not the collapsed one
            rung.plugin.loadStateDict(rung.lastGood);
            rung.openSteps = 0;
        } else if (to == BreakerState.CLOSED && reason == null) {
            reason = "probe of " + config.getProbeSteps() + " steps passed";
        }
        Precision before = active.precision();
        active = rungs.stream().filter(r -> !r.isOpen()).findFirst().orElseThrow();
        long step = context == null ? -1 : context.getStepCount();
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
        if (to == BreakerState.OPEN) {
            logger.warn("Precision circuit breaker tripped: {}", event);
        } else {
            logger.info("Precision circuit breaker: {}", event);
        }
        if (context == null) {
            return;
        }
        Metrics metrics = context.getMetrics();
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
        context.notifyListeners(BreakerListener.class, l -> l.onBreakerTransition(event));
    }

    /**
     * Returns the requested precision's state unprefixed (so a run resumed without the breaker
     * keeps its loss scale), each fallback's under {@code rung.<precision>.}, and each breaker's
     * state, wait progress and last healthy plugin state under {@code breaker.<precision>.}.
     */
    @Override
    public Map<String, String> stateDict() {
        return BreakerStateDict.save(rungs, active);
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
            BreakerStateDict.load(rungs, state);
        } finally {
            restoring = false;
        }
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
}

package io.github.djlprecision;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.metric.Dimension;
import ai.djl.metric.Unit;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import io.github.djlprecision.breaker.PrecisionBreakerPlugin;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.StepContext;
import io.github.djlprecision.spi.StepOutcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DJL {@link Trainer} that trains in the precision a {@link PrecisionConfig} asks for. It is a
 * plain {@code Trainer} to everything else, so {@code EasyTrain.fit}, listeners, evaluators and
 * metrics work unchanged:
 *
 * <pre>{@code
 * try (Trainer trainer = PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-mixed"))) {
 *     trainer.initialize(inputShape);
 *     EasyTrain.fit(trainer, epochs, trainSet, validateSet);
 * }
 * }</pre>
 *
 * <p>It calls its {@link PrecisionPlugin}'s hooks at fixed points: around parameter creation in
 * {@link #initialize}, around every forward pass, on the loss before backward, and in {@link
 * #step()}. After each step the plugin's state (e.g. the loss scale) is written into the model's
 * properties, so DJL's own {@code model.save} keeps it and a trainer made from the loaded model
 * resumes with it.
 */
public class PrecisionTrainer extends Trainer {

    /** Prefix of the model properties that hold the plugin's state. */
    public static final String STATE_PREFIX = "precision.";

    /** Metric: the loss scale after each step (only with loss scaling). */
    public static final String METRIC_LOSS_SCALE = "precision_loss_scale";

    /** Metric: 1 for a skipped step, 0 for an applied one. */
    public static final String METRIC_SKIPPED_STEP = "precision_skipped_step";

    /**
     * Metric: 1 per step, with dimension {@code path} naming what runs ({@link
     * PrecisionPlugin#getPath()}), so a fallback shows in every metrics report.
     */
    public static final String METRIC_PATH = "precision_path";

    private static final Logger logger = LoggerFactory.getLogger(PrecisionTrainer.class);

    private final PrecisionPlugin plugin;
    private final PrecisionConfig precisionConfig;
    private final Device device;
    private final List<PrecisionListener> precisionListeners = new ArrayList<>();
    private final LowScaleMonitor lowScale;
    private long stepIndex;
    private long skippedSteps;
    private StepOutcome lastOutcome;
    private List<Parameter> parameters;
    private boolean closed;

    private PrecisionTrainer(
            Model model,
            TrainingConfig userConfig,
            PrecisionPlugin plugin,
            PrecisionConfig precisionConfig) {
        super(model, new PrecisionTrainingConfig(userConfig, plugin));
        this.plugin = plugin;
        this.precisionConfig = precisionConfig;
        device = getDevices()[0];
        lowScale = new LowScaleMonitor(precisionConfig.getLowScaleDiagnosisSteps());
        userConfig.getTrainingListeners().stream()
                .filter(PrecisionListener.class::isInstance)
                .map(PrecisionListener.class::cast)
                .forEach(precisionListeners::add);
        restoreState(model);
        plugin.onTrainerCreated(this);
    }

    /**
     * Makes a trainer for a model, the user's training config (wrapped, not copied) and a
     * precision. Does what {@code Model.newTrainer} does first: sets the config's initializers on
     * the block and, for a model whose parameters already exist, unfreezes them.
     *
     * @param model the model, with its block set
     * @param trainingConfig the user's training config
     * @param precisionConfig the precision to train in
     * @return the trainer
     * @throws UnsupportedPrecisionException listing every reason this precision cannot train on
     *     the model's engine and device with these settings, naming what can
     */
    public static PrecisionTrainer newTrainer(
            Model model, TrainingConfig trainingConfig, PrecisionConfig precisionConfig) {
        if (model == null || trainingConfig == null || precisionConfig == null) {
            throw new IllegalArgumentException(
                    "model, trainingConfig and precisionConfig must not be null");
        }
        Block block = model.getBlock();
        if (block == null) {
            throw new IllegalStateException("You must set block before creating trainer");
        }
        Device[] devices = trainingConfig.getDevices();
        PrecisionPlugin plugin = createPlugin(model, devices, precisionConfig);
        logger.info("Training in {} on {} via {}", precisionConfig, devices[0], plugin.getPath());
        if (block.isInitialized()) {
            // PtModel.newTrainer unfreezes a loaded model so that it trains; running statistics stay
            block.freezeParameters(
                    false,
                    p ->
                            p.getType() != Parameter.Type.RUNNING_MEAN
                                    && p.getType() != Parameter.Type.RUNNING_VAR);
        }
        for (Pair<Initializer, Predicate<Parameter>> pair : trainingConfig.getInitializers()) {
            if (pair.getKey() != null && pair.getValue() != null) {
                block.setInitializer(pair.getKey(), pair.getValue());
            }
        }
        try {
            return new PrecisionTrainer(model, trainingConfig, plugin, precisionConfig);
        } catch (RuntimeException e) {
            plugin.close();
            throw e;
        }
    }

    /**
     * Builds the plugin, first checking everything that can be checked before native work starts,
     * and reports every problem at once.
     */
    private static PrecisionPlugin createPlugin(
            Model model, Device[] devices, PrecisionConfig precisionConfig) {
        List<String> problems = new ArrayList<>();
        if (devices.length != 1) {
            problems.add(
                    "djl-precision trains on exactly one device, the config names "
                            + devices.length
                            + ". Set one with DefaultTrainingConfig.optDevices(new Device[]"
                            + " {device}).");
        }
        PluginRequest request = null;
        PrecisionPlugin plugin = null;
        if (devices.length == 1) {
            request =
                    new PluginRequest(
                            model.getNDManager().getEngine().getEngineName(),
                            devices[0],
                            precisionConfig,
                            PluginRequest.Purpose.TRAINING,
                            model);
            try {
                plugin = PrecisionPlugins.create(request);
            } catch (UnsupportedPrecisionException e) {
                problems.addAll(e.getProblems());
            }
        }
        problems.addAll(PrecisionBreakerPlugin.problems(precisionConfig, plugin));
        if (plugin != null
                && precisionConfig.getGradientClipping().isPresent()
                && !plugin.supportsGradientClipping()) {
            problems.add(
                    "Gradient clipping needs unscaled gradients before the optimizer, which "
                            + plugin.getPath()
                            + " cannot provide. Drop optGradientClipping or choose another"
                            + " precision.");
        }
        if (!problems.isEmpty()) {
            if (plugin != null) {
                plugin.close();
            }
            throw new UnsupportedPrecisionException(problems);
        }
        if (precisionConfig.getCircuitBreaker().isPresent()) {
            try {
                return PrecisionBreakerPlugin.wrap(request, plugin);
            } catch (RuntimeException e) {
                plugin.close();
                throw e;
            }
        }
        return plugin;
    }

    /**
     * Creates the model's parameters in the plugin's precision, then lets it convert the model.
     *
     * @param shapes the input shapes
     */
    @Override
    public void initialize(Shape... shapes) {
        plugin.beforeInitialize(getModel());
        super.initialize(shapes);
        for (Parameter parameter : parameters()) {
            Device held = parameter.getArray().getDevice();
            if (!held.equals(device)) {
                throw new UnsupportedPrecisionException(
                        "Parameter "
                                + parameter.getName()
                                + " is on "
                                + held
                                + " but training runs on "
                                + device
                                + "; create the model on the training device"
                                + " (Model.newInstance(name, device)).");
            }
        }
        plugin.convertModule(getModel());
    }

    @Override
    public NDList forward(NDList input) {
        return inPrecision(input, super::forward);
    }

    @Override
    public NDList forward(NDList data, NDList labels) {
        return inPrecision(data, in -> super.forward(in, labels));
    }

    @Override
    public NDList evaluate(NDList input) {
        return inPrecision(input, super::evaluate);
    }

    private NDList inPrecision(NDList input, UnaryOperator<NDList> forward) {
        NDList converted = plugin.convertInput(input);
        NDList output;
        try (ForwardContext ignored = plugin.forwardContext(device)) {
            output = forward.apply(converted);
        }
        return plugin.convertOutput(output);
    }

    @Override
    public GradientCollector newGradientCollector() {
        GradientCollector collector = super.newGradientCollector();
        return new GradientCollector() {
            @Override
            public void backward(NDArray target) {
                NDArray prepared = plugin.preBackward(target);
                collector.backward(prepared);
                if (prepared != target) {
                    prepared.close();
                }
            }

            @Override
            public void zeroGradients() {
                collector.zeroGradients();
            }

            @Override
            public void close() {
                collector.close();
            }
        };
    }

    /**
     * Runs the plugin's optimizer step: with loss scaling, unscales and checks the gradients, and
     * either clips and updates or skips the update, leaving weights and optimizer state as they
     * were. Records the {@link #METRIC_LOSS_SCALE} and {@link #METRIC_SKIPPED_STEP} metrics and
     * tells {@link PrecisionListener}s of skipped steps.
     */
    @Override
    public void step() {
        StepOutcome outcome;
        try (Step step = new Step()) {
            outcome = plugin.optimizerStep(step);
        }
        lastOutcome = outcome;
        if (!outcome.applied()) {
            skippedSteps++;
            logger.debug("Step {} skipped: {}", stepIndex, outcome.skipReason());
            long index = stepIndex;
            precisionListeners.forEach(l -> l.onStepSkipped(this, index, outcome));
        }
        lowScale.observe(stepIndex, outcome.lossScale())
                .ifPresent(
                        diagnosis -> {
                            logger.warn(diagnosis.message());
                            precisionListeners.forEach(l -> l.onLowLossScale(this, diagnosis));
                        });
        if (getMetrics() != null) {
            getMetrics().addMetric(METRIC_SKIPPED_STEP, outcome.applied() ? 0 : 1);
            getMetrics()
                    .addMetric(METRIC_PATH, 1, Unit.COUNT, new Dimension("path", plugin.getPath()));
            if (!Float.isNaN(outcome.lossScale())) {
                getMetrics().addMetric(METRIC_LOSS_SCALE, outcome.lossScale());
            }
        }
        stepIndex++;
        saveState(getModel());
    }

    /**
     * The model's parameters, collected once: walking the block tree every step costs more than
     * the rest of the adapter's per-step work.
     */
    private List<Parameter> parameters() {
        if (parameters == null) {
            parameters = List.copyOf(getModel().getBlock().getParameters().values());
        }
        return parameters;
    }

    /** One step's view for the plugin; gradient handles are fetched only if a plugin asks. */
    private final class Step implements StepContext, AutoCloseable {

        private NDManager scope;
        private List<Parameter> trainable;
        private List<NDArray> gradients;

        @Override
        public List<Parameter> parameters() {
            if (trainable == null) {
                trainable = new ArrayList<>();
                for (Parameter parameter : PrecisionTrainer.this.parameters()) {
                    if (parameter.requiresGradient()) {
                        trainable.add(parameter);
                    }
                }
            }
            return trainable;
        }

        @Override
        public List<NDArray> gradients() {
            if (gradients == null) {
                // each getGradient() makes a new native handle: the scope closes them after the step
                scope = getManager().newSubManager();
                gradients = new ArrayList<>();
                for (Parameter parameter : parameters()) {
                    NDArray gradient = parameter.getArray().getGradient();
                    gradient.attach(scope);
                    gradients.add(gradient);
                }
            }
            return gradients;
        }

        @Override
        public void close() {
            if (scope != null) {
                scope.close();
            }
        }

        @Override
        public void applyUpdate() {
            PrecisionTrainer.super.step();
        }

        @Override
        public Optional<GradientClipping> clipping() {
            return precisionConfig.getGradientClipping();
        }

        @Override
        public long stepIndex() {
            return stepIndex;
        }
    }

    private void saveState(Model model) {
        model.setProperty(STATE_PREFIX + "value", plugin.getPrecision().value());
        model.setProperty(STATE_PREFIX + "steps", Long.toString(stepIndex));
        model.setProperty(STATE_PREFIX + "skipped", Long.toString(skippedSteps));
        plugin.stateDict().forEach((k, v) -> model.setProperty(STATE_PREFIX + k, v));
    }

    private void restoreState(Model model) {
        String saved = model.getProperty(STATE_PREFIX + "value");
        if (saved == null) {
            return;
        }
        try {
            stepIndex = Long.parseLong(model.getProperty(STATE_PREFIX + "steps", "0"));
            skippedSteps = Long.parseLong(model.getProperty(STATE_PREFIX + "skipped", "0"));
            if (!saved.equals(plugin.getPrecision().value())) {
                logger.warn(
                        "The model was saved training in {}; it now trains in {}: plugin state"
                                + " not restored",
                        saved,
                        plugin.getPrecision());
                return;
            }
            Map<String, String> state = new HashMap<>();
            model.getProperties()
                    .forEach(
                            (k, v) -> {
                                if (k.startsWith(STATE_PREFIX)) {
                                    state.put(k.substring(STATE_PREFIX.length()), v);
                                }
                            });
            plugin.loadStateDict(state);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "The model's saved precision state (properties "
                            + STATE_PREFIX
                            + "*) is invalid: "
                            + e.getMessage()
                            + ". Remove those properties to start the precision state afresh.",
                    e);
        }
    }

    /**
     * Returns the plugin in use.
     *
     * @return the plugin
     */
    public PrecisionPlugin getPlugin() {
        return plugin;
    }

    /**
     * Returns the precision settings this trainer was made with.
     *
     * @return the settings
     */
    public PrecisionConfig getPrecisionConfig() {
        return precisionConfig;
    }

    /**
     * Returns how many steps this trainer has run, skipped ones included (restored from a
     * checkpoint when the model carries one).
     *
     * @return the number of steps
     */
    public long getStepCount() {
        return stepIndex;
    }

    /**
     * Returns how many steps skipped their update.
     *
     * @return the number of skipped steps
     */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /**
     * Returns what the last step did.
     *
     * @return the last outcome, or empty before the first step
     */
    public Optional<StepOutcome> getLastOutcome() {
        return Optional.ofNullable(lastOutcome);
    }

    /** Closes the trainer and its plugin; a second call does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            super.close();
        } finally {
            plugin.close();
        }
    }
}

package io.github.djlprecision.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.TrainingDivergedException;
import ai.djl.metric.Dimension;
import ai.djl.metric.Metrics;
import ai.djl.metric.Unit;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.util.Pair;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.DeviceTopology;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.spi.FusedOptimizer;
import io.github.djlprecision.spi.PluginContext;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.spi.PrecisionPlugins;
import io.github.djlprecision.spi.StepOutcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DJL {@link Trainer} that trains in the precision a {@link PrecisionConfig} asks for. It is a
 * plain {@code Trainer} to everything else, so {@code EasyTrain.fit}, listeners, evaluators and
 * metrics work unchanged, on one device or on several (DJL's data-parallel training: {@code
 * EasyTrain} splits each batch over the config's devices):
 *
 * <pre>{@code
 * try (Trainer trainer = PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("16-mixed"))) {
 *     trainer.initialize(inputShape);
 *     EasyTrain.fit(trainer, epochs, trainSet, validateSet);
 * }
 * }</pre>
 *
 * <p>The trainer owns the order of every step; its {@link PrecisionPlugin} supplies the pieces
 * (Lightning's precision plugin hooks). {@link #step()} runs, for every precision: the gradients of
 * all devices summed on the first, the plugin's unscale-and-check, clipping, the optimizer's update
 * through DJL's {@code ParameterStore} (or the plugin's fused optimizer) unless a gradient was inf
 * or NaN, the copy of the updated values to every device, and the plugin's state update (e.g. the
 * loss scale). A skipped step leaves weights, optimizer state and the buffers its forward passes
 * updated (BatchNorm's running statistics) bit-identical.
 *
 * <p>The plugin's state (the loss scale and its growth tracker: torch's {@code
 * GradScaler.state_dict}) and the step counts are written into the model's properties (prefix
 * {@code precision.}) after every step, so any {@code model.save} at any moment (a manual loop,
 * DJL's {@code CheckpointsTrainingListener}) keeps them, and a trainer made from the loaded model
 * resumes exactly where the saved one stood. That reads a few scalars from the device after every
 * step, as DJL's own first-step check and its loss evaluators do.
 */
public class PrecisionTrainer extends Trainer {

    /** Metric: the loss scale after each step (only with loss scaling). */
    public static final String METRIC_LOSS_SCALE = "precision_loss_scale";

    /** Metric: 1 for a skipped step, 0 for an applied one. */
    public static final String METRIC_SKIPPED_STEP = "precision_skipped_step";

    /**
     * Metric: 1 per step, with dimension {@code path} naming what runs ({@link
     * PrecisionPlugin#getPath()}), so a fallback shows in every metrics report.
     */
    public static final String METRIC_PATH = "precision_path";

    /** Values kept per metric in the metrics the trainer makes when the user set none. */
    public static final int DEFAULT_METRICS_LIMIT = 10_000;

    private static final Logger logger = LoggerFactory.getLogger(PrecisionTrainer.class);

    private final PrecisionPlugin plugin;
    private final PrecisionConfig precisionConfig;
    private final Device[] devices;
    private final PrecisionParameterStore store;
    private final PrecisionParameterServer server;
    private final FusedOptimizer fused;
    private final StepRecorder recorder;
    private final LossScaleMonitor lossScaleMonitor;
    private final NonFiniteStepLimit nonFiniteStepLimit;
    private final OptimizerStep optimizerStep;
    private final ForwardBuffers forwardBuffers;
    private long stepIndex;
    private long skippedSteps;
    private long epochSkipped;
    private long epochSteps;
    private StepOutcome lastOutcome;
    /** A divergence found while reading outcomes, thrown by the next step or epoch end. */
    private TrainingDivergedException divergence;
    private final Map<Device, NDArray> shares = new ConcurrentHashMap<>();
    /** With several devices, each device's backward on its own thread; null with one. */
    private final ParallelBackward parallelBackward;
    private List<Parameter> parameters;
    private volatile boolean initialized;
    /** Whether a backward pass ran since the last step: a step without one is refused. */
    private volatile boolean backwardSinceStep;
    private boolean closed;
    private final DeviceTopology topology;

    private PrecisionTrainer(
            Model model,
            PrecisionTrainingConfig userConfig,
            PrecisionPlugin plugin,
            PrecisionConfig precisionConfig,
            TrainerState state,
            OwnListener own,
            DeviceTopology topology) {
        super(model, userConfig);
        this.plugin = plugin;
        this.topology = topology;
        this.precisionConfig = precisionConfig;
        devices = getDevices();
        parallelBackward = devices.length > 1 ? new ParallelBackward(devices.length) : null;
        stepIndex = state.steps();
        skippedSteps = state.skipped();
        try {
            if (getMetrics() == null) {
                Metrics metrics = new Metrics();
                metrics.setLimit(DEFAULT_METRICS_LIMIT);
                setMetrics(metrics);
            }
            server = new PrecisionParameterServer(userConfig.getOptimizer());
            store = new PrecisionParameterStore(getManager(), plugin, server, devices);
            plugin.onTrainerCreated(new Context());
            fused = plugin.fuseOptimizer(userConfig.getOptimizer()).orElse(null);
            recorder = new StepRecorder(getManager(), readScale());
            if (plugin.getLossScale().isPresent()) {
                SkipAwareDivergenceCheckTrainingListener.warnAboutDjlCheck(
                        userConfig.getTrainingListeners(), plugin.getPrecision().value());
            }
            forwardBuffers = new ForwardBuffers(getManager(), plugin.getKernels());
            if (topology != null) {
                topology.start(getManager(), List.of(devices));
            }
        } catch (RuntimeException e) {
            // the trainer's sub-manager must not stay attached to the model's manager
            getManager().close();
            if (parallelBackward != null) {
                parallelBackward.close();
            }
            throw e;
        }
        own.trainer = this;
        OpenTrainers.open(model);
        lossScaleMonitor =
                new LossScaleMonitor(
                        precisionConfig.getLowScaleDiagnosisSteps(),
                        precisionConfig.getGradScaler().getMinScale());
        nonFiniteStepLimit =
                new NonFiniteStepLimit(
                        precisionConfig.getNonFiniteStepLimit(), plugin.getPrecision().value());
        optimizerStep = new OptimizerStep(plugin, store, server, fused, precisionConfig, topology);
        // DJL's constructor told only the own listener: the user's see a complete trainer
        userConfig.addUserListeners().forEach(listener -> listener.onTrainingBegin(this));
    }

    /**
     * Makes a trainer for a model, the user's training config (read through, not copied) and a
     * precision. Checks everything first, so that a refusal changes nothing and allocates
     * nothing; then does what {@code Model.newTrainer} does: sets the config's initializers on the
     * block and, for a model whose parameters already exist, unfreezes them.
     *
     * @param model the model, with its block set
     * @param trainingConfig the user's training config; its devices (by default every GPU) are
     *     the devices trained on
     * @param precisionConfig the precision to train in
     * @return the trainer
     * @throws UnsupportedPrecisionException listing every reason this precision cannot train on
     *     the model's engine and devices with these settings, naming what can; or when the
     *     optimizer's epsilon is 0 in the type the parameters are updated in (Adam's default 1e-8
     *     in fp16: {@code 16-true}, Apex O3)
     * @throws IllegalArgumentException if an argument is null, the training config names no
     *     device or one twice, or the model's saved precision state is invalid
     * @throws IllegalStateException if the model has no block, or already has an open trainer
     *     (close it first)
     */
    public static PrecisionTrainer newTrainer(
            Model model, TrainingConfig trainingConfig, PrecisionConfig precisionConfig) {
        return newTrainer(model, trainingConfig, precisionConfig, null);
    }

    /**
     * Makes a trainer whose replicas live where a device topology puts them, e.g. one process per
     * device in a process group: as {@link #newTrainer(Model, TrainingConfig, PrecisionConfig)},
     * and the topology shares each loss, reduces the gradients, agrees on the non-finite flag and
     * makes every replica start from the same parameters. The trainer closes the topology.
     *
     * @param model the model, with its block set
     * @param trainingConfig the user's training config
     * @param precisionConfig the precision to train in
     * @param topology where the replicas are; null for this process's devices
     * @return the trainer
     * @throws UnsupportedPrecisionException as {@link #newTrainer(Model, TrainingConfig,
     *     PrecisionConfig)}
     * @throws IllegalArgumentException as {@link #newTrainer(Model, TrainingConfig,
     *     PrecisionConfig)}, or when the topology refuses the training devices
     */
    public static PrecisionTrainer newTrainer(
            Model model,
            TrainingConfig trainingConfig,
            PrecisionConfig precisionConfig,
            DeviceTopology topology) {
        if (model == null || trainingConfig == null || precisionConfig == null) {
            throw new IllegalArgumentException(
                    "model, trainingConfig and precisionConfig must not be null");
        }
        Block block = model.getBlock();
        if (block == null) {
            throw new IllegalStateException("You must set block before creating trainer");
        }
        Device[] devices = trainingConfig.getDevices();
        if (devices == null || devices.length == 0) {
            throw new IllegalArgumentException(
                    "The training config names no device; set one or more with"
                            + " DefaultTrainingConfig.optDevices(...).");
        }
        if (Arrays.stream(devices).distinct().count() != devices.length) {
            throw new IllegalArgumentException(
                    "The training config names a device twice: " + Arrays.toString(devices));
        }
        OpenTrainers.checkFree(model);
        TrainerState state = TrainerState.read(model);
        PrecisionPlugin plugin =
                PrecisionPlugins.create(
                        new PluginRequest(
                                model.getNDManager().getEngine().getEngineName(),
                                List.of(devices),
                                precisionConfig,
                                PluginRequest.Purpose.TRAINING,
                                model));
        try {
            Device modelDevice = model.getNDManager().getDevice();
            if (!modelDevice.equals(devices[0])) {
                throw new UnsupportedPrecisionException(
                        "Model '"
                                + model.getName()
                                + "' was created on "
                                + modelDevice
                                + ", but training runs first on "
                                + devices[0]
                                + ", which must hold the model's parameters. Create the model"
                                + " there (Model.newInstance(name, device)), or list its device"
                                + " first in DefaultTrainingConfig.optDevices(...).");
            }
            OptimizerConstants.problem(
                            trainingConfig.getOptimizer(),
                            plugin.getParameterType(),
                            plugin.getPrecision() + " via " + plugin.getPath())
                    .ifPresent(
                            problem -> {
                                throw new UnsupportedPrecisionException(problem);
                            });
            state = restore(plugin, state);
        } catch (RuntimeException e) {
            plugin.close();
            throw e;
        }
        logger.info(
                "Training in {} on {} via {}",
                precisionConfig,
                Arrays.toString(devices),
                plugin.getPath());
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
            OwnListener own = new OwnListener();
            return new PrecisionTrainer(
                    model,
                    new PrecisionTrainingConfig(trainingConfig, own),
                    plugin,
                    precisionConfig,
                    state,
                    own,
                    topology);
        } catch (RuntimeException e) {
            plugin.close();
            throw e;
        }
    }

    /** Hands the plugin its saved state if the model was saved training in the same precision. */
    private static TrainerState restore(PrecisionPlugin plugin, TrainerState state) {
        if (state.precision() == null) {
            return state;
        }
        if (!state.precision().equals(plugin.getPrecision().value())) {
            logger.warn(
                    "The model was saved training in {}; it now trains in {}: plugin state"
                            + " not restored",
                    state.precision(),
                    plugin.getPrecision());
            return state;
        }
        try {
            plugin.loadStateDict(state.pluginState());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "The model's saved precision state is invalid: "
                            + e.getMessage()
                            + " Fix or remove the "
                            + TrainerState.PREFIX
                            + "* properties to start the precision state afresh.",
                    e);
        }
        return state;
    }

    /**
     * Creates the model's parameters in the plugin's precision on every training device, then
     * lets the plugin convert the model.
     *
     * @param shapes the shapes of the inputs of one batch (the batch axis first), as DJL's {@code
     *     Trainer.initialize}
     * @throws UnsupportedPrecisionException if a parameter was created on another device than the
     *     first training device
     */
    @Override
    public void initialize(Shape... shapes) {
        Model model = getModel();
        plugin.beforeInitialize(model);
        model.getBlock().initialize(model.getNDManager(), model.getDataType(), shapes);
        prepare();
    }

    /**
     * Puts the precision in place over parameters that exist: checks their device, lets the
     * plugin convert the model and makes the arrays the forward computes with.
     */
    private synchronized void prepare() {
        if (initialized) {
            return;
        }
        Model model = getModel();
        for (Parameter parameter : parameters()) {
            Device held = parameter.getArray().getDevice();
            if (!held.equals(devices[0])) {
                throw new UnsupportedPrecisionException(
                        "Parameter "
                                + parameter.getName()
                                + " is on "
                                + held
                                + " but training runs on "
                                + devices[0]
                                + "; create the model on the first training device"
                                + " (Model.newInstance(name, device)).");
            }
        }
        if (topology != null) {
            List<NDArray> values = new ArrayList<>();
            for (Parameter parameter : parameters()) {
                values.add(parameter.getArray());
            }
            topology.broadcastParameters(values);
        }
        plugin.convertModule(model);
        for (Parameter parameter : parameters()) {
            for (Device device : devices) {
                store.getValue(parameter, device, true);
            }
        }
        initialized = true;
    }

    /**
     * Runs a training forward pass in the precision: the plugin's {@code convertInput}, the block's
     * forward inside its {@code forwardContext} (e.g. autocast), then {@code convertOutput}
     * (Lightning's precision plugin hooks of the same names).
     *
     * @param input the batch's inputs, as the dataset gives them
     * @return the outputs, in the type the loss should see (fp32 for the 16-bit recipes)
     * @throws IllegalStateException before {@link #initialize}
     */
    @Override
    public NDList forward(NDList input) {
        return inPrecision(input, true, in -> getModel().getBlock().forward(store, in, true));
    }

    /**
     * Runs a training forward pass that also sees the labels, as {@link #forward(NDList)} does.
     *
     * @param data the batch's inputs
     * @param labels the batch's labels, handed to the block unconverted
     * @return the outputs
     * @throws IllegalStateException before {@link #initialize}
     */
    @Override
    public NDList forward(NDList data, NDList labels) {
        return inPrecision(
                data, true, in -> getModel().getBlock().forward(store, in, labels, null));
    }

    /**
     * Runs an evaluation forward pass (not training, e.g. validation) with the same precision
     * hooks as {@link #forward(NDList)}.
     *
     * @param input the batch's inputs
     * @return the outputs
     * @throws IllegalStateException before {@link #initialize}
     */
    @Override
    public NDList evaluate(NDList input) {
        return inPrecision(
                input, false, in -> getModel().getBlock().forward(store, in, false, null));
    }

    private NDList inPrecision(NDList input, boolean training, UnaryOperator<NDList> forward) {
        checkOpen();
        if (!initialized) {
            if (!getModel().getBlock().isInitialized()) {
                throw new IllegalStateException(
                        "Call trainer.initialize(inputShapes) before the first forward pass:"
                                + " djl-precision creates the parameters in "
                                + plugin.getPrecision()
                                + "'s data type there.");
            }
            // parameters that exist (loaded, or trained by an earlier trainer) train without
            // initialize in DJL, and here too, once the precision is in place
            plugin.beforeInitialize(getModel());
            prepare();
        }
        long begin = System.nanoTime();
        NDList converted = plugin.convertInput(input);
        Device device = converted.isEmpty() ? devices[0] : converted.head().getDevice();
        if (training) {
            forwardBuffers.capture(device, buffersOn(device));
        }
        NDList output;
        try (ForwardContext ignored = plugin.forwardContext(device)) {
            output = forward.apply(converted);
        }
        NDList result = plugin.convertOutput(output);
        addMetric("forward", begin);
        return result;
    }

    /**
     * Returns DJL's gradient collector, whose {@code backward} first hands the loss to the
     * plugin's {@code preBackward} (e.g. multiplies it by the loss scale, as torch's {@code
     * GradScaler.scale}) and, with several devices, divides each device's loss by their number:
     * the step sums the devices' gradients, so they then average, as PyTorch's
     * DistributedDataParallel averages them, and the same settings train the same on one device or
     * on several. (DJL's own {@code LocalParameterServer} sums them, so its effective learning rate
     * grows with the number of devices.) With several devices each backward runs on a thread of
     * its own ({@link ParallelBackward}); closing the collector, {@code zeroGradients} and {@link
     * #step()} wait for them and throw the first one's failure.
     *
     * @return the collector; close it as DJL's
     */
    @Override
    public GradientCollector newGradientCollector() {
        checkOpen();
        GradientCollector collector = super.newGradientCollector();
        return new GradientCollector() {
            @Override
            public void backward(NDArray target) {
                NDArray prepared = plugin.preBackward(target);
                backwardSinceStep = true;
                if (topology != null) {
                    topology.backward(prepared, collector::backward);
                    if (prepared != target) {
                        prepared.close();
                    }
                    return;
                }
                if (parallelBackward == null) {
                    // one device
                    collector.backward(prepared);
                    if (prepared != target) {
                        prepared.close();
                    }
                    return;
                }
                NDArray share = deviceShare(prepared);
                NDArray averaged = prepared.mul(share);
                averaged.attach(share.getManager());
                if (prepared != target) {
                    prepared.close();
                }
                parallelBackward.submit(
                        () -> {
                            collector.backward(averaged);
                            averaged.close();
                        });
            }

            @Override
            public void zeroGradients() {
                awaitBackward();
                collector.zeroGradients();
            }

            @Override
            public void close() {
                try {
                    awaitBackward();
                } finally {
                    collector.close();
                }
            }
        };
    }

    /**
     * Runs one optimizer step for every precision in the same order (see the class comment) and
     * records its outcome: the {@link #METRIC_LOSS_SCALE}, {@link #METRIC_SKIPPED_STEP} and
     * {@link #METRIC_PATH} metrics, and {@link PrecisionListener#onStepSkipped} for a skipped
     * step; then writes the precision state into the model's properties (see the class comment).
     *
     * @throws TrainingDivergedException once, from the step that makes {@link
     *     PrecisionConfig#getLowScaleDiagnosisSteps()} overflowing steps in a row at the loss
     *     scale's floor; the message names the step. The step itself has run, and the trainer
     *     stays usable.
     * @throws TrainingDivergedException once, from the step that makes {@link
     *     PrecisionConfig#getNonFiniteStepLimit()} skipped steps in a row in a precision without
     *     loss scaling; the message names the steps and what to do
     * @throws IllegalStateException before the first forward pass (nothing to update), or when no
     *     backward pass ran since the last step (as torch's {@code GradScaler.step}); nothing is
     *     updated or counted then
     */
    @Override
    public void step() {
        checkOpen();
        awaitBackward();
        if (!initialized) {
            // DJL's own trainer fails here on the uninitialized parameter; say what to do
            throw new IllegalStateException(
                    "step() before any forward pass: call trainer.initialize(inputShapes), then"
                            + " forward and backward (EasyTrain.trainBatch does both), then step;"
                            + " nothing was updated or counted.");
        }
        if (!backwardSinceStep) {
            // torch's GradScaler.step raises here too ("step() has already been called since
            // the last update()"): a second step would apply the same gradients again
            throw new IllegalStateException(
                    "step() without a backward pass since the last step: the gradients were"
                            + " already applied or skipped by step "
                            + (stepIndex - 1)
                            + ". Run forward and backward (EasyTrain.trainBatch does both) before"
                            + " each step; nothing was updated or counted.");
        }
        backwardSinceStep = false;
        long begin = System.nanoTime();
        OptimizerStep.Result result = optimizerStep.run(trainable(), stepIndex);
        forwardBuffers.settle(result.foundInf(), result.nonFinite());
        recorder.add(stepIndex, result.foundInf(), result.nonFinite(), result.lossScale());
        result.close();
        stepIndex++;
        writeCheckpointState();
        addMetric("step", begin);
        throwDivergence();
    }

    /** Refuses use after {@link #close()}: the plugin's and the optimizer's state are gone. */
    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(
                    "This PrecisionTrainer is closed: its loss scale, working copies and optimizer"
                            + " state were released. Make a new trainer for the model to train on;"
                            + " its saved state carries over.");
        }
    }

    /** Waits for the backward passes still running on other threads (several devices). */
    private void awaitBackward() {
        if (parallelBackward != null) {
            parallelBackward.await();
        }
    }

    /** Throws a divergence found since the last throw, once. */
    private void throwDivergence() {
        TrainingDivergedException found = divergence;
        divergence = null;
        if (found != null) {
            throw found;
        }
    }

    /**
     * 1 / the number of devices, as a scalar on a loss's device, made once per device in a manager
     * of that device: a loss scaled by it belongs to that manager, so DJL's backward makes its seed
     * gradient ({@code ones}) on the loss's device. Made on the first device and copied, the seed
     * would make this device's backward wait for everything queued on the first device (a copy
     * between two GPUs orders both devices' streams), running the devices one after the other.
     */
    private NDArray deviceShare(NDArray loss) {
        return shares.computeIfAbsent(
                loss.getDevice(),
                device -> {
                    NDManager onDevice = getManager().newSubManager(device);
                    NDArray share = onDevice.create(1.0 / devices.length);
                    NDArray typed = share.toType(loss.getDataType(), false);
                    if (typed != share) {
                        share.close();
                    }
                    return typed;
                });
    }

    /**
     * Reads the outcomes still on the device and reports them; a divergence found among them is
     * kept for {@link #throwDivergence} so that getters never throw.
     */
    private void resolveOutcomes() {
        for (StepOutcome outcome : recorder.resolve()) {
            lastOutcome = outcome;
            epochSteps++;
            if (!outcome.applied()) {
                skippedSteps++;
                epochSkipped++;
                logger.debug("Step {} skipped: {}", outcome.stepIndex(), outcome.skipReason());
                notifyPrecisionListeners(l -> l.onStepSkipped(this, outcome));
            }
            Metrics metrics = getMetrics();
            if (metrics != null) {
                metrics.addMetric(METRIC_SKIPPED_STEP, outcome.applied() ? 0 : 1);
                metrics.addMetric(
                        METRIC_PATH, 1, Unit.COUNT, new Dimension("path", plugin.getPath()));
                if (!Float.isNaN(outcome.lossScale())) {
                    metrics.addMetric(METRIC_LOSS_SCALE, outcome.lossScale());
                }
            }
            try {
                nonFiniteStepLimit.observe(outcome);
                lossScaleMonitor
                        .observe(outcome)
                        .ifPresent(
                                diagnosis -> {
                                    logger.warn(diagnosis.message());
                                    notifyPrecisionListeners(
                                            l -> l.onLowLossScale(this, diagnosis));
                                });
            } catch (TrainingDivergedException e) {
                divergence = divergence == null ? e : divergence;
            }
        }
    }

    private void notifyPrecisionListeners(Consumer<PrecisionListener> action) {
        notifyListeners(
                listener -> {
                    if (listener instanceof PrecisionListener) {
                        action.accept((PrecisionListener) listener);
                    }
                });
    }

    /**
     * Writes the precision state (the plugin's {@code stateDict()}, the step counts) into the
     * model's properties, so that the next {@code model.save} keeps it. The trainer does this by
     * itself after every step and at the end of every epoch and of training, before any user
     * listener, so a call is never needed before saving.
     */
    public void writeCheckpointState() {
        resolveOutcomes();
        new TrainerState(plugin.getPrecision().value(), stepIndex, skippedSteps, plugin.stateDict())
                .write(getModel());
    }

    private void onEpochEnd() {
        resolveOutcomes();
        if (epochSkipped > 0 || lastOutcome != null && !Float.isNaN(lastOutcome.lossScale())) {
            logger.info(
                    "{}: {} of {} steps this epoch skipped (inf or NaN gradients){}",
                    plugin.getPrecision(),
                    epochSkipped,
                    epochSteps,
                    lastOutcome == null || Float.isNaN(lastOutcome.lossScale())
                            ? ""
                            : ", loss scale " + lastOutcome.lossScale());
        }
        epochSkipped = 0;
        epochSteps = 0;
        writeCheckpointState();
        throwDivergence();
    }

    /** The model's parameters, collected once: walking the block tree every step costs more. */
    private List<Parameter> parameters() {
        if (parameters == null) {
            parameters = List.copyOf(getModel().getBlock().getParameters().values());
        }
        return parameters;
    }

    /** The arrays a training forward on a device may update in place (running statistics). */
    private List<NDArray> buffersOn(Device device) {
        List<NDArray> arrays = new ArrayList<>();
        for (Parameter parameter : parameters()) {
            PrecisionParameterStore.Entry entry = store.entry(parameter.getId());
            if (entry == null || !ForwardBuffers.isBuffer(parameter)) {
                continue;
            }
            for (int d = 0; d < entry.devices(); d++) {
                if (devices[d].equals(device) && devices[d].getDeviceId() == device.getDeviceId()) {
                    arrays.add(entry.value(d));
                    if (entry.computed(d) != entry.value(d)) {
                        arrays.add(entry.computed(d));
                    }
                }
            }
        }
        return arrays;
    }

    /** The parameters that require a gradient now (freezing may change between steps). */
    private List<Parameter> trainable() {
        List<Parameter> trainable = new ArrayList<>();
        for (Parameter parameter : parameters()) {
            if (parameter.requiresGradient()) {
                trainable.add(parameter);
            }
        }
        return trainable;
    }

    private float readScale() {
        return plugin.getLossScale().map(NDArray::getFloat).orElse(Float.NaN);
    }

    /**
     * Returns the array the forward pass computes with for a parameter on the first device: the
     * parameter's own array, or the plugin's working copy of it (Apex O2's fp16 copy of an fp32
     * master weight). Its gradient is the one backward writes.
     *
     * @param parameter a parameter of the model
     * @return the array, owned by the trainer
     * @throws IllegalStateException before {@link #initialize}
     */
    public NDArray getWorkingParameter(Parameter parameter) {
        PrecisionParameterStore.Entry entry = store.entry(parameter.getId());
        if (entry == null) {
            throw new IllegalStateException(
                    "Parameter "
                            + parameter.getName()
                            + " has no working copy: call trainer.initialize(...) first.");
        }
        return entry.computed(0);
    }

    /**
     * Returns the trainer's parameter store: DJL's, which keeps a copy of every parameter on every
     * training device, with the plugin's working copies for the forward pass.
     *
     * @return the store the trainer's forward passes use
     */
    public ParameterStore getParameterStore() {
        return store;
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
     * Returns how many steps skipped their update; reads pending outcomes from the device.
     *
     * @return the number of skipped steps
     */
    public long getSkippedSteps() {
        resolveOutcomes();
        return skippedSteps;
    }

    /**
     * Returns what the last step did; reads pending outcomes from the device.
     *
     * @return the last outcome, or empty before the first step
     */
    public Optional<StepOutcome> getLastOutcome() {
        resolveOutcomes();
        return Optional.ofNullable(lastOutcome);
    }

    /** Closes the trainer and its plugin; a second call does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        OpenTrainers.close(getModel());
        try {
            if (parallelBackward != null) {
                parallelBackward.close();
            }
            super.close();
        } finally {
            try {
                store.sync();
                recorder.close();
                forwardBuffers.close();
                if (fused != null) {
                    fused.close();
                }
            } finally {
                plugin.close();
                if (topology != null) {
                    topology.close();
                }
            }
        }
    }

    /** The trainer's own listener, first in the list: resolves outcomes, writes state. */
    private static final class OwnListener extends TrainingListenerAdapter {

        private PrecisionTrainer trainer;

        @Override
        public void onEpoch(Trainer ignored) {
            trainer.onEpochEnd();
        }

        @Override
        public void onTrainingEnd(Trainer ignored) {
            // null while a failed constructor closes what it made
            if (trainer != null && trainer.recorder != null) {
                trainer.writeCheckpointState();
            }
        }
    }

    /** What the plugin may use of this trainer. */
    private final class Context implements PluginContext {

        @Override
        public NDManager getManager() {
            return PrecisionTrainer.this.getManager();
        }

        @Override
        public Metrics getMetrics() {
            return PrecisionTrainer.this.getMetrics();
        }

        @Override
        public long getStepCount() {
            return stepIndex;
        }

        @Override
        public <T> void notifyListeners(Class<T> type, Consumer<? super T> action) {
            PrecisionTrainer.this.notifyListeners(
                    listener -> {
                        if (type.isInstance(listener)) {
                            action.accept(type.cast(listener));
                        }
                    });
        }
    }
}

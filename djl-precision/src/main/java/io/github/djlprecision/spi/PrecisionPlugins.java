package io.github.djlprecision.spi;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.github.djlprecision.PluginDecoratorConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.UnsupportedPrecisionException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Finds the plugin for an engine and precision among the providers on the class path, and wraps
 * it in the decorators the settings name; both are found through {@link ServiceLoader}.
 */
public final class PrecisionPlugins {

    private PrecisionPlugins() {}

    /**
     * Returns every provider {@link ServiceLoader} finds.
     *
     * @return the providers, lowest rank (preferred) first
     */
    public static List<PrecisionPluginProvider> providers() {
        List<PrecisionPluginProvider> providers = new ArrayList<>();
        ServiceLoader.load(PrecisionPluginProvider.class).forEach(providers::add);
        providers.sort(Comparator.comparingInt(PrecisionPluginProvider::getRank));
        return providers;
    }

    /**
     * Returns every decorator {@link ServiceLoader} finds.
     *
     * @return the decorators
     */
    public static List<PluginDecorator> decorators() {
        List<PluginDecorator> decorators = new ArrayList<>();
        ServiceLoader.load(PluginDecorator.class).forEach(decorators::add);
        return decorators;
    }

    /**
     * Runs every {@link EngineHostGuard} of an engine, so that what the host needs (e.g. a native
     * backend switched off where it crashes) is in place before the engine's first operation.
     * {@link #create} calls it; entry points that run a user's model without a plugin call it
     * themselves.
     *
     * @param engineName the engine's name, e.g. {@code "PyTorch"}
     */
    public static void prepareHost(String engineName) {
        ServiceLoader.load(EngineHostGuard.class)
                .forEach(
                        guard -> {
                            if (guard.supportsEngine(engineName)) {
                                guard.prepare();
                            }
                        });
    }

    /**
     * Builds the plugin for a request, wrapped in the decorators its settings name, checking
     * everything that can be checked before native work starts.
     *
     * @param request what to build for
     * @return the plugin
     * @throws UnsupportedPrecisionException listing every problem found, each with what to use
     *     instead: a GPU the engine cannot see (reported alone); else no provider, a provider whose
     *     plugin serves another precision than the requested one, what the provider refuses, what
     *     a decorator refuses, clipping the recipe cannot do
     */
    public static PrecisionPlugin create(PluginRequest request) {
        prepareHost(request.engineName());
        List<String> unavailable = unavailableDevices(request);
        if (!unavailable.isEmpty()) {
            throw new UnsupportedPrecisionException(unavailable);
        }
        List<String> problems = new ArrayList<>();
        PrecisionPlugin plugin = null;
        try {
            PrecisionPluginProvider provider = select(request);
            plugin = provider.create(request);
            Precision asked = request.config().getPrecision();
            if (plugin.getPrecision() != asked) {
                // e.g. optPluginName naming a provider of another precision: it would train that one
                problems.add(
                        "The precision plugin provider '"
                                + provider.getName()
                                + "' made a plugin for '"
                                + plugin.getPrecision()
                                + "', not for the requested '"
                                + asked
                                + "' (it serves "
                                + provider.getPrecisions().stream()
                                        .map(Precision::value)
                                        .sorted()
                                        .collect(Collectors.toList())
                                + "). Name a provider that serves '"
                                + asked
                                + "', or drop optPluginName to let the installed providers choose.");
            }
        } catch (UnsupportedPrecisionException e) {
            problems.addAll(e.getProblems());
        }
        List<PluginDecoratorConfig> configs = request.config().getDecorators();
        List<PluginDecorator> decorators = new ArrayList<>();
        for (PluginDecoratorConfig config : configs) {
            Optional<PluginDecorator> decorator = decorator(config.getDecoratorName());
            if (decorator.isEmpty()) {
                problems.add(
                        "No plugin decorator named '"
                                + config.getDecoratorName()
                                + "' is on the class path (installed: "
                                + names(decorators(), PluginDecorator::getName)
                                + "). Add the module that provides it.");
            } else {
                decorators.add(decorator.get());
                problems.addAll(decorator.get().check(request, plugin));
            }
        }
        if (plugin != null && request.model() != null && mustHoldParameterType(request, plugin)) {
            checkParameterTypes(request.model(), plugin, problems);
        }
        if (plugin != null
                && request.purpose() == PluginRequest.Purpose.TRAINING
                && request.config().getGradientClipping().isPresent()
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
        for (int i = 0; i < decorators.size(); i++) {
            try {
                plugin = decorators.get(i).decorate(request, plugin, configs.get(i));
            } catch (RuntimeException e) {
                plugin.close();
                throw e;
            }
        }
        return plugin;
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
                                                    + names(providers, PrecisionPluginProvider::getName)
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
                                            + names(providers, PrecisionPluginProvider::getName)
                                            + ".");
                        });
    }

    /**
     * Training needs the parameters in the recipe's type; inference too, except where an engine
     * may convert fp32 weights down to 16 bits once ({@code WeightConversion}), which its provider
     * decides. Nothing converts weights up to fp32 or fp64.
     */
    private static boolean mustHoldParameterType(PluginRequest request, PrecisionPlugin plugin) {
        DataType type = plugin.getParameterType();
        return request.purpose() == PluginRequest.Purpose.TRAINING
                || type == DataType.FLOAT32
                || type == DataType.FLOAT64;
    }

    /**
     * Refuses a model whose parameters already exist in another type than the recipe holds them
     * in, e.g. a checkpoint saved in {@code 16-true} loaded for {@code 32-true}: DJL cannot convert
     * them ({@code Block.cast} throws), and running them as they are fails at the first forward or
     * silently runs another precision.
     */
    private static void checkParameterTypes(
            Model model, PrecisionPlugin plugin, List<String> problems) {
        if (model.getBlock() == null) {
            return;
        }
        DataType wanted = plugin.getParameterType();
        List<String> wrong = new ArrayList<>();
        DataType found = null;
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            if (parameter.isInitialized() && parameter.getArray().getDataType() != wanted) {
                wrong.add(parameter.getName());
                found = parameter.getArray().getDataType();
            }
        }
        if (wrong.isEmpty()) {
            return;
        }
        String saved = model.getProperty("precision.value");
        String converted = model.getProperty("precision.weights");
        problems.add(
                "Parameter "
                        + wrong.get(0)
                        + (wrong.size() > 1 ? " (and " + (wrong.size() - 1) + " more)" : "")
                        + " already exists in "
                        + found
                        + (saved == null ? "" : " (the model was saved training in " + saved + ")")
                        + (converted == null
                                ? ""
                                : " (converted for inference: model property precision.weights="
                                        + converted
                                        + ")")
                        + ", but "
                        + plugin.getPrecision()
                        + " via "
                        + plugin.getPath()
                        + " holds parameters in "
                        + wanted
                        + ", and DJL cannot convert existing ones (Block.cast throws). Train it"
                        + " in a precision that holds "
                        + found
                        + " parameters"
                        + holding(found)
                        + ", or create the trainer on a block whose parameters are not yet"
                        + " created and call trainer.initialize(...).");
    }

    /** The precisions that hold parameters of a type, e.g. " ('16-true')"; empty if none. */
    private static String holding(DataType type) {
        String names =
                Arrays.stream(Precision.values())
                        .filter(p -> p.parameterType() == type && p != Precision.BF16_TRUE)
                        .map(p -> "'" + p.value() + "'")
                        .collect(Collectors.joining(", "));
        return names.isEmpty() ? "" : " (" + names + ")";
    }

    /**
     * Lists the GPUs of a request (its devices and the model's) that the engine cannot see, e.g.
     * every GPU on a machine without CUDA or with LibTorch's CPU build. Without this check the
     * first allocation there fails inside the engine ("Could not run 'aten::empty.memory_format'
     * with arguments from the 'CUDA' backend"). Reads DJL's GPU count; allocates nothing.
     */
    private static List<String> unavailableDevices(PluginRequest request) {
        Device modelDevice =
                request.model() == null ? null : request.model().getNDManager().getDevice();
        boolean anyGpu =
                request.devices().stream().anyMatch(Device::isGpu)
                        || modelDevice != null && modelDevice.isGpu();
        if (!anyGpu || !Engine.hasEngine(request.engineName())) {
            return List.of();
        }
        int visible = Engine.getEngine(request.engineName()).getGpuCount();
        String why =
                ", which is not available: the "
                        + request.engineName()
                        + " engine sees "
                        + visible
                        + " GPU"
                        + (visible == 1 ? "" : "s")
                        + " on this machine"
                        + (visible == 0
                                ? " (no CUDA driver, or the engine's CPU-only natives)"
                                : " (ids 0 to " + (visible - 1) + ")")
                        + ".";
        List<String> problems = new ArrayList<>();
        for (Device device : request.devices()) {
            if (device.isGpu() && device.getDeviceId() >= visible) {
                problems.add(
                        "Device "
                                + device
                                + why
                                + " Use Device.cpu()"
                                + (visible == 0 ? "" : " or a visible GPU")
                                + ", or install the engine's CUDA natives (README: GPU quick"
                                + " start).");
            }
        }
        if (modelDevice != null && modelDevice.isGpu() && modelDevice.getDeviceId() >= visible) {
            problems.add(
                    "Model '"
                            + request.model().getName()
                            + "' was created on "
                            + modelDevice
                            + why
                            + " Create it on an available device, e.g. Model.newInstance(name,"
                            + " Device.cpu()).");
        }
        return problems;
    }

    private static Optional<PluginDecorator> decorator(String name) {
        return decorators().stream().filter(d -> d.getName().equals(name)).findFirst();
    }

    private static <T> String names(List<T> items, Function<T, String> name) {
        return items.isEmpty()
                ? "none"
                : items.stream().map(name).collect(Collectors.joining(", "));
    }
}

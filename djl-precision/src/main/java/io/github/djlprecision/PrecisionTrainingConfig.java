package io.github.djlprecision;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.training.TrainingConfig;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.PairList;
import io.github.djlprecision.spi.PrecisionPlugin;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Predicate;

/**
 * The user's {@link TrainingConfig}, read through: only the optimizer passes the plugin's {@link
 * PrecisionPlugin#convertOptimizer} hook. Later changes to the user's config are seen as they are.
 */
final class PrecisionTrainingConfig implements TrainingConfig {

    private final TrainingConfig delegate;
    private final PrecisionPlugin plugin;

    PrecisionTrainingConfig(TrainingConfig delegate, PrecisionPlugin plugin) {
        this.delegate = delegate;
        this.plugin = plugin;
    }

    @Override
    public Device[] getDevices() {
        return delegate.getDevices();
    }

    @Override
    public PairList<Initializer, Predicate<Parameter>> getInitializers() {
        return delegate.getInitializers();
    }

    @Override
    public Optimizer getOptimizer() {
        return plugin.convertOptimizer(delegate.getOptimizer());
    }

    @Override
    public Loss getLossFunction() {
        return delegate.getLossFunction();
    }

    @Override
    public List<Evaluator> getEvaluators() {
        return delegate.getEvaluators();
    }

    @Override
    public ExecutorService getExecutorService() {
        return delegate.getExecutorService();
    }

    @Override
    public List<TrainingListener> getTrainingListeners() {
        return delegate.getTrainingListeners();
    }
}

package io.github.djlprecision.training;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.training.TrainingConfig;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Predicate;

/**
 * The user's {@link TrainingConfig}, read through, with the trainer's own listener ahead of the
 * user's, so that the precision state is in the model's properties before any user listener (a
 * {@code CheckpointsTrainingListener}, say) saves the model.
 */
final class PrecisionTrainingConfig implements TrainingConfig {

    private final TrainingConfig delegate;
    private final TrainingListener own;

    PrecisionTrainingConfig(TrainingConfig delegate, TrainingListener own) {
        this.delegate = delegate;
        this.own = own;
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
        return delegate.getOptimizer();
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
        List<TrainingListener> listeners = new ArrayList<>();
        listeners.add(own);
        listeners.addAll(delegate.getTrainingListeners());
        return listeners;
    }
}

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
 * The user's {@link TrainingConfig}, read through, with three changes: the trainer's own listener
 * goes ahead of the user's, so that the precision state is in the model's properties before any
 * user listener (a {@code CheckpointsTrainingListener}, say) saves the model; the user's listeners
 * join only once the trainer is complete ({@link #addUserListeners()}), because DJL's {@code
 * Trainer} constructor tells its listeners {@code onTrainingBegin} before a subclass has set its
 * fields; and the loss and evaluators feed their accumulators float32 values, so that DJL's
 * listeners work in every precision ({@link Float32AccumulatingLoss}).
 */
final class PrecisionTrainingConfig implements TrainingConfig {

    private final TrainingConfig delegate;
    /** The list DJL's trainer keeps and notifies: the trainer's own listener, then the user's. */
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final Loss loss;
    private final List<Evaluator> evaluators;

    PrecisionTrainingConfig(TrainingConfig delegate, TrainingListener own) {
        this.delegate = delegate;
        listeners.add(own);
        Loss userLoss = delegate.getLossFunction();
        loss = userLoss == null ? null : new Float32AccumulatingLoss(userLoss);
        evaluators = new ArrayList<>();
        for (Evaluator evaluator : delegate.getEvaluators()) {
            evaluators.add(new Float32AccumulatingEvaluator(evaluator));
        }
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

    /** The user's loss, its accumulators fed float32 values ({@link Float32AccumulatingLoss}). */
    @Override
    public Loss getLossFunction() {
        return loss;
    }

    /** The user's evaluators, their accumulators fed float32 values. */
    @Override
    public List<Evaluator> getEvaluators() {
        return evaluators;
    }

    @Override
    public ExecutorService getExecutorService() {
        return delegate.getExecutorService();
    }

    /** The trainer's own listener, and the user's once {@link #addUserListeners()} ran. */
    @Override
    public List<TrainingListener> getTrainingListeners() {
        return listeners;
    }

    /**
     * Adds the user's listeners behind the trainer's own, in the list DJL's trainer notifies.
     *
     * @return the user's listeners, which the trainer then tells {@code onTrainingBegin}
     */
    List<TrainingListener> addUserListeners() {
        List<TrainingListener> user = delegate.getTrainingListeners();
        listeners.addAll(user);
        return user;
    }
}

package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.PrecisionConfig;
import java.util.Map;

/**
 * A model with its trainer on one device, trained one of the ways of {@link TrainSide}: SGD with
 * momentum 0.9 (learning rate 0.01), softmax cross-entropy, as {@code train_torch.py} trains.
 */
final class TrainSession implements AutoCloseable {

    /** Learning rate of the SGD optimizer, the same as in train_torch.py. */
    static final float LEARNING_RATE = 0.01f;

    /** Momentum of the SGD optimizer, the same as in train_torch.py. */
    static final float MOMENTUM = 0.9f;

    private final Model model;
    private final Trainer trainer;
    private final HandWrittenMixedStep handWritten;

    private TrainSession(Model model, Trainer trainer, HandWrittenMixedStep handWritten) {
        this.model = model;
        this.trainer = trainer;
        this.handWritten = handWritten;
    }

    /**
     * Builds the model on a device and its trainer, and creates the parameters.
     *
     * @param bench the model
     * @param batch samples per batch
     * @param device where to train
     * @param side how to train
     * @param precision the precision (checked against the side by the caller)
     * @return the session
     */
    static TrainSession open(
            BenchModel bench, int batch, Device device, TrainSide side, PrecisionConfig precision) {
        Model model = Model.newInstance("bench-" + bench.name(), device, "PyTorch");
        Trainer trainer = null;
        HandWrittenMixedStep handWritten = null;
        try {
            model.setBlock(bench.newBlock());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(
                                    Optimizer.sgd()
                                            .setLearningRateTracker(Tracker.fixed(LEARNING_RATE))
                                            .optMomentum(MOMENTUM)
                                            .build())
                            .optDevices(new Device[] {device});
            if (side == TrainSide.LIBRARY) {
                trainer = LibraryEntryPoints.newTrainer(model, config, precision);
            } else if (side == TrainSide.LIBRARY_UNFUSED) {
                trainer = LibraryEntryPoints.newTrainerUnfused(model, config, precision);
            } else {
                trainer = model.newTrainer(config);
            }
            if (side == TrainSide.PLAIN_AUTOCAST) {
                handWritten = new HandWrittenMixedStep(trainer, precision);
            }
            trainer.initialize(bench.inputShapes(batch));
            return new TrainSession(model, trainer, handWritten);
        } catch (RuntimeException e) {
            if (handWritten != null) {
                handWritten.close();
            }
            if (trainer != null) {
                trainer.close();
            }
            model.close();
            throw e;
        }
    }

    /**
     * Returns the manager to make the batch in (the trainer's, on the training device).
     *
     * @return the manager
     */
    NDManager manager() {
        return trainer.getManager();
    }

    /**
     * One training step.
     *
     * @param inputs the model's inputs
     * @param labels the labels
     * @param keepLoss whether to return the loss
     * @return the loss, detached for the caller to read and close, if {@code keepLoss}; else null
     */
    NDArray step(NDList inputs, NDArray labels, boolean keepLoss) {
        if (handWritten != null) {
            return handWritten.step(inputs, labels, keepLoss);
        }
        // as EasyTrain.trainBatch: forward, loss, backward, step, in a scope closed after the step
        NDArray loss;
        try (NDManager step = trainer.getManager().newSubManager()) {
            step.tempAttachAll(inputs, labels);
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(inputs);
                loss = trainer.getLoss().evaluate(new NDList(labels), out);
                collector.backward(loss);
            }
            trainer.step();
            if (keepLoss) {
                loss.detach();
            }
        }
        return keepLoss ? loss : null;
    }

    /**
     * What the trainer reports (djl-precision's path, skipped steps, loss scale).
     *
     * @return figures by name, empty for plain DJL
     */
    Map<String, Object> facts() {
        return LibraryEntryPoints.trainerFacts(trainer);
    }

    @Override
    public void close() {
        if (handWritten != null) {
            handWritten.close();
        }
        trainer.close();
        model.close();
    }
}

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model with its trainer on one device or on several GPUs, trained one of the ways of {@link
 * TrainSide}: SGD with momentum 0.9 (learning rate 0.01), softmax cross-entropy, as {@code
 * train_torch.py} trains. With several devices each step runs as {@code EasyTrain.trainBatch} runs
 * one: one forward and backward per device on its slice of the batch, then one {@code step()}.
 */
final class TrainSession implements AutoCloseable {

    /** Learning rate of the SGD optimizer, the same as in train_torch.py. */
    static final float LEARNING_RATE = 0.01f;

    /** Momentum of the SGD optimizer, the same as in train_torch.py. */
    static final float MOMENTUM = 0.9f;

    private final Model model;
    private final Trainer trainer;
    private final HandWrittenMixedStep handWritten;
    private final Device[] devices;

    private TrainSession(
            Model model, Trainer trainer, HandWrittenMixedStep handWritten, Device[] devices) {
        this.model = model;
        this.trainer = trainer;
        this.handWritten = handWritten;
        this.devices = devices;
    }

    /**
     * Builds the model on the first device and its trainer, and creates the parameters.
     *
     * @param bench the model
     * @param batch samples per batch, over all devices
     * @param devices where to train; several only for sides library and plain
     * @param side how to train
     * @param precision the precision (checked against the side by the caller)
     * @return the session
     */
    static TrainSession open(
            BenchModel bench,
            int batch,
            Device[] devices,
            TrainSide side,
            PrecisionConfig precision) {
        Model model = Model.newInstance("bench-" + bench.name(), devices[0], "PyTorch");
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
                            .optDevices(devices);
            if (side == TrainSide.LIBRARY) {
                trainer = LibraryEntryPoints.newTrainer(model, config, precision);
            } else if (side == TrainSide.LIBRARY_PROCESS_GROUP) {
                trainer = LibraryEntryPoints.newTrainerInProcessGroup(model, config, precision);
            } else if (side == TrainSide.LIBRARY_UNFUSED) {
                trainer = LibraryEntryPoints.newTrainerUnfused(model, config, precision);
            } else {
                trainer = model.newTrainer(config);
            }
            if (side == TrainSide.PLAIN_AUTOCAST) {
                handWritten = new HandWrittenMixedStep(trainer, precision);
            }
            trainer.initialize(bench.inputShapes(batch / devices.length));
            return new TrainSession(model, trainer, handWritten, devices);
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
     * Splits a batch made on the first device into one slice per device, each moved to its device
     * once, as {@code Batch.split} does every step.
     *
     * @param inputs the model's inputs, the whole batch
     * @param labels the labels, the whole batch
     * @return per device, its inputs followed by its labels
     */
    List<NDList> slices(NDList inputs, NDArray labels) {
        NDList all = new NDList(inputs);
        all.add(labels);
        List<NDList> slices = new ArrayList<>();
        for (int d = 0; d < devices.length; d++) {
            slices.add(new NDList());
        }
        for (NDArray array : all) {
            NDList parts = array.split(devices.length);
            for (int d = 0; d < devices.length; d++) {
                slices.get(d).add(parts.get(d).toDevice(devices[d], false));
            }
        }
        return slices;
    }

    /**
     * One training step.
     *
     * @param slices per device, its inputs followed by its labels ({@link #slices})
     * @param keepLoss whether to return the losses
     * @return each device's loss (the mean over its slice), detached for the caller to read and
     *     close, if {@code keepLoss}; else null
     */
    NDList step(List<NDList> slices, boolean keepLoss) {
        if (handWritten != null) {
            NDList slice = slices.get(0);
            int last = slice.size() - 1;
            NDArray loss = handWritten.step(slice.subNDList(0, last), slice.get(last), keepLoss);
            return keepLoss ? new NDList(loss) : null;
        }
        // as EasyTrain.trainBatch: forward, loss, backward per device, step, in a scope closed after
        // the step
        NDList losses = new NDList();
        try (NDManager step = trainer.getManager().newSubManager()) {
            try (GradientCollector collector = trainer.newGradientCollector()) {
                for (NDList slice : slices) {
                    step.tempAttachAll(slice);
                    int last = slice.size() - 1;
                    NDList out = trainer.forward(slice.subNDList(0, last));
                    NDArray loss = trainer.getLoss().evaluate(new NDList(slice.get(last)), out);
                    collector.backward(loss);
                    losses.add(loss);
                }
            }
            trainer.step();
            if (keepLoss) {
                losses.forEach(NDArray::detach);
            }
        }
        return keepLoss ? losses : null;
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

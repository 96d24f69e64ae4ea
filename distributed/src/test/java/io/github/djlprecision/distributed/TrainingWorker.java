package io.github.djlprecision.distributed;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * One process of {@link DistributedTrainingTest}: trains a small MLP on 48 fixed records with
 * {@code EasyTrain.fit}, then prints its step counts, loss scale and weights. Under a launch
 * ({@code WORLD_SIZE} set) it trains its share with {@link ProcessGroupTopology}, each rank
 * starting from its own random weights (seed 1 + rank) that rank 0's broadcast replaces; otherwise
 * it is the one-process reference (seed 1).
 *
 * <p>Arguments: precision, batch per process, epochs, the index of a record whose first feature is
 * +inf (-1 for none), a checkpoint folder to load from ("-" for none), one to save to ("-") and,
 * optionally, the type gradients travel in (FLOAT32 or FLOAT16).
 */
public final class TrainingWorker {

    static final int RECORDS = 48;
    static final int FEATURES = 8;

    private TrainingWorker() {}

    public static void main(String[] args) throws Exception {
        String precision = args[0];
        int batch = Integer.parseInt(args[1]);
        int epochs = Integer.parseInt(args[2]);
        int infRecord = Integer.parseInt(args[3]);
        String load = args[4];
        String save = args[5];
        boolean distributed = LaunchEnvironment.isSet();
        int rank = distributed ? LaunchEnvironment.fromEnvironment().rank() : 0;
        Engine.getInstance().setRandomSeed(1 + rank);
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("mlp", Device.cpu())) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(16).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(1).build()));
            if (!"-".equals(load)) {
                model.load(Path.of(load), "mlp");
            }
            RandomAccessDataset dataset = dataset(data, batch, infRecord);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss())
                            .optOptimizer(
                                    Optimizer.sgd()
                                            .setLearningRateTracker(Tracker.fixed(0.05f))
                                            .build())
                            .optDevices(new Device[] {Device.cpu()});
            PrecisionConfig precisionConfig = PrecisionConfig.of(precision);
            ProcessGroupTopology topology = null;
            PrecisionTrainer trainer;
            if (distributed) {
                DataType communication =
                        args.length > 6 ? DataType.valueOf(args[6]) : DataType.FLOAT32;
                topology =
                        new ProcessGroupTopology(ProcessGroup.fromEnvironment(), communication);
                dataset = DatasetShards.shard(dataset, topology.getGroup());
                trainer = PrecisionTrainer.newTrainer(model, config, precisionConfig, topology);
            } else {
                trainer = PrecisionTrainer.newTrainer(model, config, precisionConfig);
            }
            try (trainer) {
                trainer.initialize(new Shape(batch, FEATURES));
                EasyTrain.fit(trainer, epochs, dataset, null);
                System.out.println(
                        "RESULT steps="
                                + trainer.getStepCount()
                                + " skipped="
                                + trainer.getSkippedSteps()
                                + " scale="
                                + trainer.getLastOutcome().orElseThrow().lossScale());
                System.out.println("WEIGHTS " + weights(model));
                if (!"-".equals(save) && (topology == null || topology.writesCheckpoints())) {
                    model.save(Path.of(save), "mlp");
                    System.out.println("SAVED");
                }
            }
            if (topology != null) {
                topology.getGroup().close(); // the caller's group: the trainer leaves it open
            }
        }
        System.out.println("DONE");
    }

    /** 48 records of 8 features and a linear target, the same in every process. */
    static RandomAccessDataset dataset(NDManager manager, int batch, int infRecord) {
        float[] x = new float[RECORDS * FEATURES];
        float[] y = new float[RECORDS];
        for (int i = 0; i < RECORDS; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = (float) Math.sin(i * FEATURES + j);
                y[i] += x[i * FEATURES + j] * (j + 1) / FEATURES;
            }
        }
        if (infRecord >= 0) {
            x[infRecord * FEATURES] = Float.POSITIVE_INFINITY;
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(x, new Shape(RECORDS, FEATURES)))
                .optLabels(manager.create(y, new Shape(RECORDS, 1)))
                .setSampling(batch, false)
                .build();
    }

    private static String weights(Model model) {
        StringJoiner joined = new StringJoiner(",");
        List<Parameter> parameters = new ArrayList<>(model.getBlock().getParameters().values());
        for (Parameter parameter : parameters) {
            NDArray array = parameter.getArray();
            for (float value : array.toFloatArray()) {
                joined.add(Float.toString(value));
            }
        }
        return joined.toString();
    }
}

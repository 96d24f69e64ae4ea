package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A short soak in the suite: every setting, and plain DJL beside them, trains the same small model
 * for {@value #STEPS} steps after {@value #WARM_UP} warm-up steps (a few of them skipped, as loss
 * scaling settles), and must end with exactly the arrays and sub-managers it had after the
 * warm-up, in the trainer's manager tree and in the model's. The long run (3000 steps, with the
 * process's resident memory) is {@code CpuBench --only soak}, see docs/benchmarks.md.
 */
class SoakTest {

    static final int WARM_UP = 10;
    static final int STEPS = 200;

    /** What a run held after the warm-up and at the end. */
    private record Counts(String setting, ManagerTree trainerWarm, ManagerTree trainerEnd, ManagerTree modelWarm, ManagerTree modelEnd) {}

    /** One step as EasyTrain does it; every array of the step in a sub-manager closed after it. */
    private static void step(Trainer trainer, int step) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(Runs.input(scope, step, Runs.Batch.NORMAL)));
                NDArray loss = trainer.getLoss().evaluate(new NDList(Runs.labels(scope)), out);
                collector.backward(loss);
            }
            trainer.step();
        }
    }

    private static Counts soak(String setting) {
        try (Model model = ClassificationTask.mlp("soak");
                Trainer trainer =
                        setting.equals("plain DJL")
                                ? model.newTrainer(CheckpointPrecisionTest.sgd())
                                : PrecisionTrainer.newTrainer(model, CheckpointPrecisionTest.sgd(), CheckpointPrecisionTest.config(setting))) {
            trainer.initialize(Runs.inputShape());
            for (int i = 0; i < WARM_UP; i++) {
                step(trainer, i);
            }
            ManagerTree trainerWarm = ManagerTree.of(trainer.getManager());
            ManagerTree modelWarm = ManagerTree.of(model.getNDManager());
            for (int i = WARM_UP; i < WARM_UP + STEPS; i++) {
                step(trainer, i);
            }
            return new Counts(setting, trainerWarm, ManagerTree.of(trainer.getManager()), modelWarm, ManagerTree.of(model.getNDManager()));
        }
    }

    @Test
    void handlesStayFlatInEveryPrecisionAsInPlainDjl() {
        List<String> settings = new ArrayList<>(CheckpointPrecisionTest.SETTINGS);
        settings.add(0, "plain DJL");
        for (String setting : settings) {
            Counts counts = soak(setting);
            System.out.println("soak " + counts);
            assertEquals(counts.trainerWarm(), counts.trainerEnd(), setting + ": trainer's manager tree");
            assertEquals(counts.modelWarm(), counts.modelEnd(), setting + ": model's manager tree");
        }
    }
}

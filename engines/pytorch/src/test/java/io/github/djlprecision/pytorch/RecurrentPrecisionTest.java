package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import io.github.djlprecision.UnsupportedPrecisionException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DJL's recurrent blocks train in every precision the engine has (bf16-mixed: {@link
 * Bf16SafetyTest}, in a child JVM), or are refused up front with the reason, never an
 * EngineException at the first forward pass.
 */
class RecurrentPrecisionTest {

    private static final Shape SEQUENCES = new Shape(Runs.BATCH, 4, 4);

    /** SGD: plain fp16 Adam diverges (its epsilon underflows), which is not what this tests. */
    private static DefaultTrainingConfig sgd() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
                .optDevices(new Device[] {Device.cpu()});
    }

    private static PrecisionConfig config(String precision, String ampLevel) {
        PrecisionConfig.Builder builder = PrecisionConfig.builder().optPrecision(precision);
        return ampLevel == null ? builder.build() : builder.optAmpLevel(ampLevel).build();
    }

    static Stream<Arguments> everyPrecisionAndRecurrentBlock() {
        List<Supplier<Block>> blocks =
                List.of(
                        () -> LSTM.builder().setStateSize(4).setNumLayers(2).build(),
                        () -> GRU.builder().setStateSize(4).setNumLayers(2).build(),
                        () ->
                                RNN.builder()
                                        .setActivation(RNN.Activation.RELU)
                                        .setStateSize(4)
                                        .setNumLayers(2)
                                        .build());
        List<String[]> precisions =
                List.of(
                        new String[] {"16-mixed", null},
                        new String[] {"16-true", null},
                        new String[] {"64-true", null},
                        new String[] {"16-mixed", "O0"},
                        new String[] {"16-mixed", "O1"},
                        new String[] {"16-mixed", "O2"},
                        new String[] {"16-mixed", "O3"});
        return precisions.stream()
                .flatMap(p -> blocks.stream().map(b -> Arguments.of(p[0], p[1], b)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyPrecisionAndRecurrentBlock")
    void trainsInEveryPrecision(String precision, String ampLevel, Supplier<Block> recurrent) {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        try (Model model = Model.newInstance("rnn", Device.cpu(), "PyTorch")) {
            model.setBlock(
                    new SequentialBlock()
                            .add(recurrent.get())
                            .add(Blocks.batchFlattenBlock())
                            .add(Linear.builder().setUnits(ClassificationTask.CLASSES).build()));
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, sgd(), config(precision, ampLevel))) {
                trainer.initialize(SEQUENCES);
                float[] before = weights(model);
                // fp16 loss scaling may skip the first steps while its scale backs off from 2^16
                for (int i = 0; i < 6; i++) {
                    assertTrue(
                            Float.isFinite(Sequences.step(trainer, i)),
                            trainer.getPlugin().getPath());
                }
                float[] after = weights(model);
                assertTrue(Runs.allFinite(after));
                assertFalse(Arrays.equals(before, after), "the weights trained");
            }
        }
    }

    /** The weights read through fp32, whatever their type. */
    private static float[] weights(Model model) {
        List<Float> all = new ArrayList<>();
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            for (float v : parameter.getArray().toType(DataType.FLOAT32, false).toFloatArray()) {
                all.add(v);
            }
        }
        float[] flat = new float[all.size()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = all.get(i);
        }
        return flat;
    }

    @Test
    void aRecurrentModelBlockGetsItsStatesIn16True() {
        Engine.getEngine("PyTorch").setRandomSeed(42);
        try (Model model = Model.newInstance("root", Device.cpu(), "PyTorch")) {
            model.setBlock(GRU.builder().setStateSize(4).setNumLayers(1).build());
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, sgd(), PrecisionConfig.of("16-true"))) {
                trainer.initialize(SEQUENCES);
                assertTrue(Float.isFinite(Sequences.step(trainer, 0)));
            }
        }
    }

    @Test
    void anLstmInsideAUserBlockIsRefusedUpFrontInTheTrueModes() {
        try (Model model = Model.newInstance("inside", Device.cpu(), "PyTorch")) {
            model.setBlock(new Sequences.LstmClassifier());
            for (PrecisionConfig config :
                    List.of(
                            PrecisionConfig.of("16-true"),
                            PrecisionConfig.of("64-true"),
                            config("16-mixed", "O2"),
                            config("16-mixed", "O3"))) {
                UnsupportedPrecisionException e =
                        assertThrows(
                                UnsupportedPrecisionException.class,
                                () ->
                                        PrecisionTrainer.newTrainer(
                                                model, ClassificationTask.adamConfig(), config));
                assertEquals(1, e.getProblems().size(), e.getMessage());
                assertTrue(
                        e.getMessage().contains("Recurrent block 01lstm (inside LstmClassifier)"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("DJL makes missing initial states in fp32"));
            }
            // the mixed modes run it (16-mixed as an fp32 island on CPU) and 32-true as DJL does
            PrecisionTrainer.newTrainer(
                            model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed"))
                    .close();
        }
    }
}

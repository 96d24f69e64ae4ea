package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.training.DefaultTrainingConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, case 6: a refused {@code newTrainer} leaves nothing attached to the model's manager.
 * Before the fix, 2000 refusals of a model whose saved scale was {@code abc} left 1446
 * sub-managers behind. Every kind of refusal is repeated 2000 times here, and the model's manager
 * tree (sub-managers and arrays) must be what it was.
 */
class RefusedTrainerLeakTest {

    static final int REFUSALS = 2000;

    /** A refusal: the model's setting up, and the trainer call that must throw. */
    private record Refusal(Function<Model, Runnable> call, String fragment) {}

    private static Runnable train(Model model, DefaultTrainingConfig config, PrecisionConfig precision) {
        return () -> PrecisionTrainer.newTrainer(model, config, precision).close();
    }

    private static Refusal savedState(String key, String value) {
        return new Refusal(
                model -> {
                    model.setProperty("precision.value", "16-mixed");
                    model.setProperty("precision." + key, value);
                    return train(model, CheckpointPrecisionTest.sgd(), PrecisionConfig.of("16-mixed"));
                },
                "The model's saved precision state is invalid");
    }

    @Test
    void everyKindOfRefusalLeavesTheModelsManagerAsItWas() {
        Map<String, Refusal> refusals = new LinkedHashMap<>();
        refusals.put("scale=abc", savedState("scaler.scale", "abc"));
        refusals.put("scale=NaN", savedState("scaler.scale", "NaN"));
        refusals.put("scale=-4", savedState("scaler.scale", "-4"));
        refusals.put("backoff_factor=2", savedState("scaler.backoff_factor", "2"));
        refusals.put("steps=-1", savedState("steps", "-1"));
        refusals.put(
                "bf16-true",
                new Refusal(
                        model -> train(model, CheckpointPrecisionTest.sgd(), PrecisionConfig.of("bf16-true")),
                        "bf16-true is not supported"));
        refusals.put(
                "16-true on float32 parameters",
                new Refusal(
                        model -> {
                            try (PrecisionTrainer trainer =
                                    PrecisionTrainer.newTrainer(model, CheckpointPrecisionTest.sgd(), PrecisionConfig.of("32-true"))) {
                                trainer.initialize(Runs.inputShape());
                            }
                            return train(model, CheckpointPrecisionTest.sgd(), PrecisionConfig.of("16-true"));
                        },
                        "already exists in float32"));
        refusals.put(
                "Adam's epsilon in 16-true",
                new Refusal(
                        model -> train(model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-true")),
                        "is 0 in float16"));
        refusals.put(
                "clipping on a path that cannot",
                new Refusal(
                        model ->
                                train(
                                        model,
                                        CheckpointPrecisionTest.sgd(),
                                        PrecisionConfig.builder()
                                                .optPrecision("16-mixed")
                                                .optPluginName("test-no-unscale")
                                                .optGradientClipping(1, io.github.djlprecision.GradientClipping.Algorithm.NORM)
                                                .build()),
                        "Gradient clipping needs unscaled gradients"));
        refusals.put(
                "a plugin failing inside the trainer's constructor",
                new Refusal(
                        model ->
                                train(
                                        model,
                                        CheckpointPrecisionTest.sgd(),
                                        PrecisionConfig.builder().optPluginName("test-fails-when-attached").build()),
                        "failed on purpose once attached"));
        if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
            refusals.put(
                    "gpu(0) on a machine without one",
                    new Refusal(
                            model ->
                                    train(
                                            model,
                                            CheckpointPrecisionTest.sgd().optDevices(new Device[] {Device.gpu(0)}),
                                            PrecisionConfig.of("16-mixed")),
                            "is not available"));
        }
        for (Map.Entry<String, Refusal> refusal : refusals.entrySet()) {
            try (Model model = ClassificationTask.mlp("refused")) {
                Runnable call = refusal.getValue().call().apply(model);
                ManagerTree before = ManagerTree.of(model.getNDManager());
                for (int i = 0; i < REFUSALS; i++) {
                    RuntimeException e = assertThrows(RuntimeException.class, call::run, refusal.getKey());
                    if (i == 0) {
                        assertTrue(e.getMessage().contains(refusal.getValue().fragment()), refusal.getKey() + ": " + e.getMessage());
                    }
                }
                assertEquals(before, ManagerTree.of(model.getNDManager()), refusal.getKey() + " after " + REFUSALS + " refusals");
            }
        }
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.training.DefaultTrainingConfig;
import io.github.djlprecision.GradientClipping;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Precision x engine x device, checked when the trainer is made; GPUs simulated by injection. */
class CapabilityCheckTest {

    private static PluginRequest onGpu(PrecisionConfig config, Model model) {
        return new PluginRequest(
                "PyTorch", Device.gpu(0), config, PluginRequest.Purpose.TRAINING, model);
    }

    private static PrecisionPlugin create(String capability, PrecisionConfig config) {
        return new PyTorchPrecisionProvider(id -> capability).create(onGpu(config, null));
    }

    @Test
    void bf16IsRefusedBelowAmpere() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> create("75", PrecisionConfig.of("bf16-mixed")));
        assertEquals(
                List.of(
                        "bf16-mixed needs CUDA compute capability 8.0 (Ampere) or newer; gpu(0) has"
                                + " 7.5. Use '16-mixed', or '32-true'."),
                e.getProblems());
    }

    @Test
    void bf16RunsFromAmpereOnAndFp16EverywhereWithAWarningBelowVolta() {
        for (String capability : List.of("80", "90", "100", "120")) {
            try (PrecisionPlugin plugin = create(capability, PrecisionConfig.of("bf16-mixed"))) {
                assertEquals("native-autocast(cuda, bfloat16)", plugin.getPath());
            }
        }
        // Pascal: no tensor cores, but fp16 still saves memory, so only a warning
        try (PrecisionPlugin plugin = create("61", PrecisionConfig.of("16-mixed"))) {
            assertTrue(plugin.getPath().startsWith("native-autocast(cuda, float16"));
        }
    }

    @Test
    void anUnreadableCapabilityIsAProblemNotACrash() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () ->
                                new PyTorchPrecisionProvider(
                                                id -> {
                                                    throw new IllegalStateException(
                                                            "No cuda library is loaded.");
                                                })
                                        .create(onGpu(PrecisionConfig.of("bf16-mixed"), null)));
        assertTrue(e.getProblems().get(0).contains("No cuda library is loaded."));
    }

    @Test
    void everyProviderProblemIsReportedTogether() {
        // 16-true on a GPU below Volta is allowed (a warning); the model's own problems are not
        try (Model model = Model.newInstance("problems", Device.cpu(), "PyTorch")) {
            model.setBlock(new Sequences.LstmClassifier());
            PrecisionConfig config =
                    PrecisionConfig.builder().optPrecision("16-mixed").optAmpLevel("O3").build();
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    new PyTorchPrecisionProvider(id -> "61")
                                            .create(
                                                    new PluginRequest(
                                                            "PyTorch",
                                                            Device.of("tpu", 0),
                                                            config,
                                                            PluginRequest.Purpose.TRAINING,
                                                            model)));
            assertEquals(2, e.getProblems().size(), e.getMessage());
            assertTrue(e.getProblems().get(0).contains("runs on cpu or gpu devices"));
            assertTrue(e.getProblems().get(1).contains("Recurrent block 01lstm"));
            assertTrue(e.getMessage().startsWith("- "), "one line per problem");
        }
    }

    @Test
    void clippingOnAPathThatCannotUnscaleIsRefused() {
        try (Model model = ClassificationTask.mlp("clip")) {
            PrecisionConfig config =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            .optPluginName("test-no-unscale")
                            .optGradientClipping(1.0, GradientClipping.Algorithm.NORM)
                            .build();
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config));
            assertTrue(e.getMessage().startsWith("Gradient clipping needs unscaled gradients"), e.getMessage());
            // without clipping the same path is accepted
            PrecisionConfig noClip =
                    PrecisionConfig.builder().optPrecision("16-mixed").optPluginName("test-no-unscale").build();
            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), noClip)) {
                assertEquals("test-no-unscale", trainer.getPlugin().getPath());
            }
        }
    }
}

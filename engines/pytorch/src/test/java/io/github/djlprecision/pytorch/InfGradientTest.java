package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.training.PrecisionTrainer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * Every built-in training recipe through the trainer's one step sequence, with an inf in a gradient
 * ({@link InjectedInf}). Every recipe skips the step: weights, Apex O2's masters and working copies
 * and the optimizer's state bit-identical, the step counted as skipped. The loss-scaled recipes do
 * it as torch's GradScaler does and multiply the scale by the backoff; the others (bf16-mixed, the
 * true modes, Apex O0 and O3, whose static loss scale of 1 checks nothing), which torch and
 * Lightning let apply such a step, are checked by the trainer with an inverse scale of 1.
 */
class InfGradientTest {

    static Stream<Arguments> recipes() {
        return Stream.of(
                recipe("32-true", null, true, FloatPrecision.class, false),
                recipe("16-mixed", null, true, NativeMixedPrecision.class, true),
                recipe("16-mixed", null, false, NativeMixedPrecision.class, true),
                recipe("bf16-mixed", null, true, NativeMixedPrecision.class, false),
                recipe("16-true", null, true, HalfPrecision.class, false),
                recipe("64-true", null, true, DoublePrecision.class, false),
                recipe("16-mixed", "O0", true, ApexO0Precision.class, false),
                recipe("16-mixed", "O1", true, NativeMixedPrecision.class, true),
                recipe("16-mixed", "O2", true, ApexO2Precision.class, true),
                recipe("16-mixed", "O2", false, ApexO2Precision.class, true),
                recipe("16-mixed", "O3", true, HalfPrecision.class, false));
    }

    private static Arguments recipe(
            String precision,
            String ampLevel,
            boolean fusedKernels,
            Class<? extends PrecisionPlugin> plugin,
            boolean scaled) {
        PrecisionConfig.Builder config =
                PrecisionConfig.builder()
                        .optPrecision(precision)
                        .optGradScaler(
                                GradScalerConfig.builder()
                                        // not torch's 2^16: a first fp16 step there may
                                        // overflow by itself
                                        .optInitScale(1024f)
                                        .optFusedKernels(fusedKernels)
                                        .build());
        if (ampLevel != null) {
            config.optAmpLevel(ampLevel);
        }
        String name =
                precision
                        + (ampLevel == null ? "" : " " + ampLevel)
                        + (fusedKernels ? "" : ", DJL kernels");
        return Arguments.of(name, config.build(), plugin, scaled);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void infGradientIsSkippedInEveryRecipe(
            String name,
            PrecisionConfig precision,
            Class<? extends PrecisionPlugin> plugin,
            boolean scaled) {
        // the case tests the recipe it names, not a fallback
        try (Model model = Fixture.model(Fixture.mlp(false), 1);
                PrecisionTrainer trainer = Fixture.trainer(model, precision, Fixture.adamForFp16())) {
            assertEquals(plugin, trainer.getPlugin().getClass(), trainer.getPlugin().getPath());
            assertEquals(scaled, trainer.getPlugin().getLossScale().isPresent(), name);
        }
        InjectedInf.assertSkipped(precision);
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.breaker.PrecisionCircuitBreaker;
import io.github.djlprecision.training.PrecisionTrainer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The circuit breaker through the trainer's one step sequence with an inf in a gradient ({@link
 * InjectedInf}): it skips the step on every rung, with weights and optimizer state bit-identical.
 * Around {@code 16-mixed} that is the loss scaler's skip (scale multiplied by the backoff); around
 * {@code bf16-mixed}, which applies such a step unguarded (see {@code InfGradientTest}), it is the
 * breaker's own non-finite check, without a loss scale.
 */
class BreakerInfGradientTest {

    @ParameterizedTest
    @ValueSource(strings = {"16-mixed", "bf16-mixed"})
    void guardedRecipeSkipsTheInfStep(String precision) {
        PrecisionConfig guarded =
                PrecisionConfig.builder()
                        .optPrecision(precision)
                        .optGradScaler(GradScalerConfig.builder().optInitScale(1024f).build())
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = Fixture.model(Fixture.mlp(false), 1);
                PrecisionTrainer trainer = Fixture.trainer(model, guarded, Fixture.adam())) {
            PrecisionCircuitBreaker breaker = (PrecisionCircuitBreaker) trainer.getPlugin();
            assertEquals(Precision.parse(precision), breaker.getActivePrecision());
        }
        InjectedInf.assertSkipped(guarded);
    }
}

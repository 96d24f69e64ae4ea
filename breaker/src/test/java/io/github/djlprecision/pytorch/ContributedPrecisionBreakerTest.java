package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.djl.Model;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.breaker.PrecisionCircuitBreaker;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The breaker's ladder comes from the precisions' metadata: a precision contributed on the class
 * path (the engine module's test provider, declared faster than {@code bf16-mixed}) is guarded
 * and falls back along what it declared, with no change to the breaker.
 */
class ContributedPrecisionBreakerTest {

    @Test
    void aContributedPrecisionFallsBackAlongItsDeclaredLadder() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-test-mixed")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = ClassificationTask.mlp("contributed-breaker");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
            PrecisionCircuitBreaker breaker =
                    assertInstanceOf(PrecisionCircuitBreaker.class, trainer.getPlugin());
            assertEquals(
                    List.of(
                            ContributedPrecisionProvider.TEST_MIXED,
                            Precision.BF16_MIXED,
                            Precision.FLOAT_TRUE),
                    breaker.getLadder());
        }
    }
}

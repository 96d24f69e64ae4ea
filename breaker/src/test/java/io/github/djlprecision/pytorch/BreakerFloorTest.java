package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.training.PrecisionTrainer;
import org.junit.jupiter.api.Test;

/** A breaker floor above the initial loss scale would never trip: refused when the trainer is made. */
class BreakerFloorTest {

    @Test
    void aFloorAboveTheInitialScaleIsRefused() {
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optGradScaler(GradScalerConfig.builder().optInitScale(65536f).build())
                        .optDecorator(PrecisionBreakerConfig.builder().optLossScaleFloor(1e9f).build())
                        .build();
        try (Model model = ClassificationTask.mlp("floor")) {
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () -> PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config));
            assertTrue(e.getMessage().contains("loss-scale floor 1.0E9 is above the initial loss scale 65536.0"), e.getMessage());
        }
    }
}

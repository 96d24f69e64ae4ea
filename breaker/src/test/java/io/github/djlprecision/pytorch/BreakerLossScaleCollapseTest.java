package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.github.djlprecision.Precision;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.BreakerListener;
import io.github.djlprecision.breaker.BreakerTransition;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.breaker.PrecisionCircuitBreaker;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, case 1, with the circuit breaker: the collapse (16-mixed, Linear(1, no bias),
 * input 7e4, which fp16 cannot hold) for 200 steps. Instead of the loss-scale error, the breaker
 * falls back to bf16-mixed the first time a step overflows at the floor, and training goes on.
 */
class BreakerLossScaleCollapseTest {

    @Test
    void twoHundredOverflowingStepsFallBackToBf16AndTrain() {
        Transitions listener = new Transitions();
        List<BreakerTransition> transitions = listener.seen;
        PrecisionConfig config =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optDecorator(PrecisionBreakerConfig.defaults())
                        .build();
        try (Model model = LossScaleCollapseTest.linearOne();
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                LossScaleCollapseTest.sgd(1e-10f).addTrainingListeners(listener),
                                config)) {
            trainer.initialize(new Shape(1, 1));
            for (int i = 0; i < 200; i++) {
                LossScaleCollapseTest.step(trainer, LossScaleCollapseTest.OVERFLOWS_FP16, 0f);
            }
            PrecisionCircuitBreaker breaker = (PrecisionCircuitBreaker) trainer.getPlugin();
            assertEquals(Precision.BF16_MIXED, breaker.getActivePrecision());
            // 16 halvings reach the floor 1.0; the step at the floor (step 16) trips the breaker
            assertEquals(1, transitions.size(), transitions.toString());
            assertEquals(16, transitions.get(0).stepIndex(), transitions.toString());
            assertEquals(17, trainer.getSkippedSteps());
            // bf16 holds 7e4: the later steps apply, w -> w (1 - 1e-10 * x^2), towards 0
            float w = LossScaleCollapseTest.weight(model);
            assertTrue(Float.isFinite(w) && Math.abs(w) < 1e-3f, "weight " + w);
        }
    }

    private static final class Transitions extends TrainingListenerAdapter
            implements BreakerListener {

        final List<BreakerTransition> seen = new ArrayList<>();

        @Override
        public void onBreakerTransition(BreakerTransition transition) {
            seen.add(transition);
        }
    }
}

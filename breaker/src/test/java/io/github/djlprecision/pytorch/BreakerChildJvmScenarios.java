package io.github.djlprecision.pytorch;

import ai.djl.Model;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.breaker.PrecisionCircuitBreaker;
import io.github.djlprecision.training.PrecisionTrainer;

/** Breaker scenarios that would abort the JVM if a guard failed; run in a child JVM. */
public final class BreakerChildJvmScenarios {

    private BreakerChildJvmScenarios() {}

    /**
     * Runs one scenario.
     *
     * @param args the scenario's name
     */
    public static void main(String[] args) {
        switch (args[0]) {
            case "breaker-falls-back-to-bf16":
                PrecisionConfig config =
                        PrecisionConfig.builder()
                                .optPrecision("16-mixed")
                                .optDecorator(
                                        PrecisionBreakerConfig.builder()
                                                .optSlidingWindowSize(2)
                                                .optMinimumNumberOfSteps(2)
                                                .optWaitSteps(50)
                                                .build())
                                .build();
                try (Model model = ChildJvmScenarios.softmaxModel();
                        PrecisionTrainer trainer =
                                PrecisionTrainer.newTrainer(model, ClassificationTask.adamConfig(), config)) {
                    trainer.initialize(Runs.inputShape());
                    PrecisionCircuitBreaker plugin = (PrecisionCircuitBreaker) trainer.getPlugin();
                    System.out.println("LADDER " + plugin.getLadder());
                    for (int i = 0; i < 6; i++) {
                        Runs.step(trainer, i, Runs.Batch.FP16_OVERFLOW);
                    }
                    System.out.println("ACTIVE " + plugin.getActivePrecision());
                    System.out.println("PATH " + plugin.getPath());
                    System.out.println("FINITE " + Runs.allFinite(Runs.flatWeights(model)));
                }
                break;
            default:
                throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
        System.out.flush();
        System.exit(0);
    }
}

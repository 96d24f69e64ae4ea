package io.github.djlprecision.spi;

/**
 * What one optimizer step did.
 *
 * @param applied whether the optimizer updated the parameters
 * @param skipReason why the step was skipped, or null when applied
 * @param lossScale the loss scale the next step uses, or NaN without loss scaling
 */
public record StepOutcome(boolean applied, String skipReason, float lossScale) {

    /**
     * An applied step without loss scaling.
     *
     * @return the outcome
     */
    public static StepOutcome appliedUnscaled() {
        return new StepOutcome(true, null, Float.NaN);
    }
}

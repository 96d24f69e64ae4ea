package io.github.djlprecision.spi;

/**
 * What one optimizer step did.
 *
 * @param stepIndex the step's index, from 0
 * @param applied whether the optimizer updated the parameters
 * @param skipReason why the step was skipped, or null when applied
 * @param lossScale the loss scale the next step uses, or NaN without loss scaling
 */
public record StepOutcome(long stepIndex, boolean applied, String skipReason, float lossScale) {}

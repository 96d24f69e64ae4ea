package io.github.djlprecision.training;

import io.github.djlprecision.Precision;

/**
 * A diagnosis that fp16 loss scaling is struggling: the scale stayed below 1 for many steps.
 *
 * @param stepIndex the step at which the diagnosis was made, from 0
 * @param lossScale the loss scale after that step
 * @param stepsBelowOne how many consecutive steps the scale has been below 1
 * @param suggestion the precision to try instead
 * @param message the diagnosis, in words
 */
public record LossScaleDiagnosis(
        long stepIndex, float lossScale, int stepsBelowOne, Precision suggestion, String message) {}

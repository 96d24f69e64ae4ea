package io.github.djlprecision.compat;

import java.util.Arrays;

/** Every training step's loss, loss scale, skip and time, in the arrays the report plots. */
final class StepLog {

    private float[] losses = new float[64];
    private float[] scales = new float[64];
    private boolean[] skipped = new boolean[64];
    private long[] nanos = new long[64];
    private int count;

    void add(TrainingStep.Record step) {
        if (count == losses.length) {
            losses = Arrays.copyOf(losses, count * 2);
            scales = Arrays.copyOf(scales, count * 2);
            skipped = Arrays.copyOf(skipped, count * 2);
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        losses[count] = step.loss();
        scales[count] = step.scale();
        skipped[count] = step.skipped();
        nanos[count] = step.nanos();
        count++;
    }

    int count() {
        return count;
    }

    float scale(int step) {
        return scales[step];
    }

    boolean skipped(int step) {
        return skipped[step];
    }

    int skippedCount() {
        int skippedSteps = 0;
        for (int i = 0; i < count; i++) {
            skippedSteps += skipped[i] ? 1 : 0;
        }
        return skippedSteps;
    }

    /** The loss scale after the last step, NaN before any step or without loss scaling. */
    double lastScale() {
        return count == 0 ? Double.NaN : scales[count - 1];
    }

    float[] losses() {
        return Arrays.copyOf(losses, count);
    }

    float[] scales() {
        return Arrays.copyOf(scales, count);
    }

    boolean[] skips() {
        return Arrays.copyOf(skipped, count);
    }

    /**
     * Returns the mean training loss over one epoch's steps.
     *
     * @param epoch the epoch, from 0
     * @param epochs how many epochs the log holds, each with the same number of steps
     * @return the mean, NaN if a loss was NaN, or without steps
     */
    double epochMean(int epoch, int epochs) {
        int perEpoch = count / epochs;
        if (perEpoch == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = epoch * perEpoch; i < (epoch + 1) * perEpoch; i++) {
            sum += losses[i];
        }
        return sum / perEpoch;
    }

    /** The median step time, leaving out the first step (allocation and native warm-up). */
    double medianMillis() {
        if (count == 0) {
            return Double.NaN;
        }
        return Evaluation.median(Arrays.copyOfRange(nanos, Math.min(1, count - 1), count)) / 1e6;
    }
}

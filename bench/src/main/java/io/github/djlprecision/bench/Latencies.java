package io.github.djlprecision.bench;

import java.util.Arrays;

/**
 * Summary of per-call latencies. Percentiles are nearest-rank (the smallest sample with at least p%
 * of the samples at or below it), the definition {@code infer_torch.py} uses too, so both sides
 * report the same statistic.
 */
final class Latencies {

    private final double[] sorted;

    /**
     * @param millis one latency per call, in milliseconds
     */
    Latencies(double[] millis) {
        if (millis.length == 0) {
            throw new IllegalArgumentException("No latencies to summarise");
        }
        sorted = millis.clone();
        Arrays.sort(sorted);
    }

    /**
     * Returns a nearest-rank percentile.
     *
     * @param p the percentile, in (0, 100]
     * @return the latency in ms
     */
    double percentile(double p) {
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    /**
     * Returns the mean.
     *
     * @return the mean latency in ms
     */
    double mean() {
        return Arrays.stream(sorted).average().orElseThrow();
    }
}

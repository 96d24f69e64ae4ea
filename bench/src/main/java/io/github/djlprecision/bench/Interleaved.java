package io.github.djlprecision.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Times variants side by side: every round runs each variant once, in an order that rotates from
 * round to round, so that load from other processes and thermal drift hit all variants alike.
 * Ratios are taken per round (paired) and then their median, which is what the benchmarks report;
 * absolute times on a shared machine are noisy.
 *
 * <p>Each round records wall time and the calling thread's CPU time. With LibTorch limited to one
 * intra-op thread, every operation runs on the calling thread, so its CPU time counts the step's
 * work and leaves out the time the thread waits for a core other processes hold.
 */
public final class Interleaved {

    /**
     * One thing to time.
     *
     * @param name the name printed in reports
     * @param body runs the given number of iterations
     */
    public record Variant(String name, IntConsumer body) {}

    /** Which clock a figure is read from. */
    public enum Clock {
        /** Elapsed time. */
        WALL,
        /** CPU time of the thread that ran the variant. */
        THREAD_CPU
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Map<String, List<Double>> wall = new LinkedHashMap<>();
    private final Map<String, List<Double>> cpu = new LinkedHashMap<>();

    private Interleaved() {}

    /**
     * Warms every variant up, then times them in rotating order.
     *
     * @param variants the variants
     * @param iterations iterations per variant per round
     * @param warmupRounds untimed rounds first
     * @param rounds timed rounds
     * @return the per-round times
     */
    public static Interleaved run(
            List<Variant> variants, int iterations, int warmupRounds, int rounds) {
        Interleaved result = new Interleaved();
        for (Variant v : variants) {
            result.wall.put(v.name(), new ArrayList<>());
            result.cpu.put(v.name(), new ArrayList<>());
        }
        for (int round = -warmupRounds; round < rounds; round++) {
            for (int i = 0; i < variants.size(); i++) {
                Variant variant = variants.get(Math.floorMod(round + i, variants.size()));
                long cpuStart = THREADS.getCurrentThreadCpuTime();
                long start = System.nanoTime();
                variant.body().accept(iterations);
                long end = System.nanoTime();
                long cpuEnd = THREADS.getCurrentThreadCpuTime();
                if (round >= 0) {
                    result.wall.get(variant.name()).add((end - start) / 1e6 / iterations);
                    result.cpu.get(variant.name()).add((cpuEnd - cpuStart) / 1e6 / iterations);
                }
            }
        }
        return result;
    }

    /**
     * Times one iteration of a variant, to choose how many iterations fill a round.
     *
     * @param variant the variant
     * @param budgetMs how long one round of this variant should take
     * @return iterations per round, at least 3
     */
    public static int calibrate(Variant variant, double budgetMs) {
        variant.body().accept(2);
        long start = System.nanoTime();
        variant.body().accept(3);
        double ms = (System.nanoTime() - start) / 1e6 / 3;
        return (int) Math.max(3, Math.min(10_000, budgetMs / ms));
    }

    /**
     * Returns the median time of one iteration of a variant.
     *
     * @param name the variant's name
     * @param clock the clock to read
     * @return milliseconds
     */
    public double median(String name, Clock clock) {
        return median(times(clock).get(name));
    }

    /**
     * Returns the median over rounds of {@code a / b}.
     *
     * @param a the numerator variant
     * @param b the denominator variant
     * @param clock the clock to read
     * @return the paired ratio
     */
    public double ratio(String a, String b, Clock clock) {
        List<Double> as = times(clock).get(a);
        List<Double> bs = times(clock).get(b);
        List<Double> ratios = new ArrayList<>(as.size());
        for (int i = 0; i < as.size(); i++) {
            ratios.add(as.get(i) / bs.get(i));
        }
        return median(ratios);
    }

    /**
     * Returns the spread of a variant's rounds, (p90 - p10) / median, to judge noise.
     *
     * @param name the variant's name
     * @param clock the clock to read
     * @return the relative spread
     */
    public double spread(String name, Clock clock) {
        List<Double> values = times(clock).get(name);
        double[] sorted = sorted(values);
        int n = sorted.length;
        return (sorted[(int) Math.floor(0.9 * (n - 1))] - sorted[(int) Math.ceil(0.1 * (n - 1))])
                / median(values);
    }

    private Map<String, List<Double>> times(Clock clock) {
        return clock == Clock.WALL ? wall : cpu;
    }

    static double median(List<Double> values) {
        double[] sorted = sorted(values);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double[] sorted(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted;
    }
}

package io.github.djlprecision.compat;

import java.util.ArrayList;
import java.util.List;

/**
 * What running a cell gave, before the expectation table is consulted: a refusal, an unexpected
 * error, or a run with its checks. Plain data, so that a cell run in a child JVM can send it back.
 *
 * @param refusal the message of the engine's {@code UnsupportedPrecisionException}, or null
 * @param error what went wrong unexpectedly (exception class and message), or null
 * @param mode what ran, or null when refused before running
 * @param path what the plugin says runs (its {@code getPath()}), or null
 * @param checks the invariants checked so far
 * @param metrics the measurements, or null when the cell stopped early
 * @param expectedParameterBytes what the parameters would occupy in the types the variant expects
 */
record CellRun(
        String refusal,
        String error,
        CellMode mode,
        String path,
        List<Check> checks,
        CellMetrics metrics,
        long expectedParameterBytes) {

    static CellRun refused(String refusal) {
        return new CellRun(refusal, null, null, null, List.of(), null, 0);
    }

    static CellRun failed(Exception error, CellMode mode, String path, List<Check> checks) {
        return failed(
                error.getClass().getSimpleName() + ": " + error.getMessage(), mode, path, checks);
    }

    static CellRun failed(String error, CellMode mode, String path, List<Check> checks) {
        return new CellRun(null, error, mode, path, checks, null, 0);
    }

    /** A run that stopped after its checks, without measurements (a failed check stopped it). */
    static CellRun stopped(CellMode mode, String path, List<Check> checks) {
        return new CellRun(null, null, mode, path, checks, null, 0);
    }

    /** The same run with more checks and the metrics replaced. */
    CellRun with(List<Check> moreChecks, CellMetrics newMetrics) {
        List<Check> all = new ArrayList<>(checks);
        all.addAll(moreChecks);
        return new CellRun(refusal, error, mode, path, all, newMetrics, expectedParameterBytes);
    }
}

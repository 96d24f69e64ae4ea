package io.github.djlprecision.compat;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The verdict of one cell and what led to it.
 *
 * @param cell the cell
 * @param verdict the verdict
 * @param reason for UNSUPPORTED the engine's or device's refusal; for FAIL what failed; empty for
 *     PASS
 * @param expected the verdict the expectation table gives, or null when it has no row
 * @param mode what ran, or null when the cell was refused before running
 * @param path what the plugin says really runs (its {@code getPath()}), or null
 * @param checks every invariant checked, passed or not
 * @param metrics the measurements, or null when the cell did not run
 * @param knownFailure true for a FAIL that the expectation table lists as a known failure, with a
 *     matching reason
 */
public record CellResult(
        MatrixCell cell,
        Verdict verdict,
        String reason,
        Verdict expected,
        CellMode mode,
        String path,
        List<Check> checks,
        CellMetrics metrics,
        boolean knownFailure) {

    /**
     * Returns the checks that failed.
     *
     * @return the failed checks, possibly none
     */
    public List<Check> failedChecks() {
        return checks.stream().filter(c -> !c.passed()).collect(Collectors.toList());
    }

    /**
     * Returns a multi-line account for test failures and logs.
     *
     * @return the cell, its verdict, the reason and every check
     */
    public String describe() {
        StringBuilder text = new StringBuilder(cell.id()).append(": ").append(verdict);
        if (knownFailure) {
            text.append(" (known failure)");
        }
        if (!reason.isEmpty()) {
            text.append(" - ").append(reason);
        }
        if (path != null) {
            text.append("\n  path: ").append(path);
        }
        checks.forEach(c -> text.append("\n  ").append(c));
        return text.toString();
    }
}

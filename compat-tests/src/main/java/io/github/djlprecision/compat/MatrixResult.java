package io.github.djlprecision.compat;

import java.util.List;
import java.util.Map;

/**
 * Everything a report shows: the workload, the machine, the selection and every cell's result.
 *
 * @param workloadName the workload's name
 * @param workloadDescription what the workload trains
 * @param machine the machine it ran on
 * @param selection which cells were selected
 * @param settings the matrix's settings: mode, loss scaling and tolerances
 * @param excludedEngines engines on the class path the matrix left out, and why
 * @param results each cell's result, in matrix order
 */
public record MatrixResult(
        String workloadName,
        String workloadDescription,
        MachineInfo machine,
        Selection selection,
        String settings,
        Map<String, String> excludedEngines,
        List<CellResult> results) {

    /**
     * Returns how many cells got a verdict.
     *
     * @param verdict the verdict
     * @return the number of cells
     */
    public long count(Verdict verdict) {
        return results.stream().filter(r -> r.verdict() == verdict).count();
    }

    /**
     * Returns how many cells failed as the expectation table's known failures.
     *
     * @return the number of known failures
     */
    public long knownFailures() {
        return results.stream().filter(CellResult::knownFailure).count();
    }

    /**
     * Returns whether any cell failed other than as a known failure: a CI run should then exit with
     * a non-zero status.
     *
     * @return true if a cell's verdict is FAIL and the table does not list it as a known failure
     */
    public boolean hasFailures() {
        return count(Verdict.FAIL) > knownFailures();
    }
}

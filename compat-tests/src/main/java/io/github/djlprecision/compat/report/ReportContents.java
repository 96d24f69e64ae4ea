package io.github.djlprecision.compat.report;

import io.github.djlprecision.compat.MatrixResult;

import java.util.List;

/**
 * What one report shows: a title, notes (e.g. where the data come from), one section per workload
 * and, optionally, the architecture axis (one matrix result per architecture, shown as one grid).
 *
 * @param title the report's title
 * @param notes paragraphs of plain text under the title
 * @param workloads one section each, in order
 * @param architectures the architecture axis, or empty
 */
public record ReportContents(
        String title,
        List<String> notes,
        List<MatrixResult> workloads,
        List<MatrixResult> architectures) {

    /**
     * Checks that there is something to show.
     *
     * @param title the report's title
     * @param notes paragraphs of plain text under the title
     * @param workloads one section each, in order
     * @param architectures the architecture axis, or empty
     */
    public ReportContents {
        notes = List.copyOf(notes);
        workloads = List.copyOf(workloads);
        architectures = List.copyOf(architectures);
        if (workloads.isEmpty() && architectures.isEmpty()) {
            throw new IllegalArgumentException("a report needs a workload or an architecture");
        }
    }

    /**
     * Returns the report of one matrix, as {@code AbstractCompatMatrixTest} writes it.
     *
     * @param result the matrix's result
     * @return the contents
     */
    public static ReportContents of(MatrixResult result) {
        return new ReportContents(
                "Compatibility report: " + result.workloadName(),
                List.of(),
                List.of(result),
                List.of());
    }

    /**
     * Returns every matrix result in the report, workloads first.
     *
     * @return the results
     */
    public List<MatrixResult> all() {
        return java.util.stream.Stream.concat(workloads.stream(), architectures.stream()).toList();
    }
}

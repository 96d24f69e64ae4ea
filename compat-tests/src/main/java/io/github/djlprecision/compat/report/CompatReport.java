package io.github.djlprecision.compat.report;

import io.github.djlprecision.compat.MatrixResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a compatibility report into a folder: {@code report.md} ({@link MarkdownReport}, for the
 * docs), {@code index.html} ({@link HtmlReport}, one self-contained page) and the plots as PNG
 * files beside them.
 */
public final class CompatReport {

    /** The Markdown report's file name. */
    public static final String MARKDOWN = "report.md";

    /** The HTML page's file name. */
    public static final String HTML = "index.html";

    private CompatReport() {}

    /**
     * Writes the report of one matrix into a folder, creating it.
     *
     * @param result the matrix's result
     * @param directory the folder
     * @return the HTML page's path
     * @throws IOException if a file cannot be written
     */
    public static Path write(MatrixResult result, Path directory) throws IOException {
        return write(ReportContents.of(result), directory);
    }

    /**
     * Writes a report into a folder, creating it.
     *
     * @param contents what the report shows
     * @param directory the folder
     * @return the HTML page's path
     * @throws IOException if a file cannot be written
     */
    public static Path write(ReportContents contents, Path directory) throws IOException {
        return write(contents, directory, SectionPlots::draw);
    }

    /** Draws one section's plots, e.g. {@link SectionPlots#draw}. */
    @FunctionalInterface
    interface Plotter {
        SectionPlots draw(MatrixResult result, String prefix) throws IOException;
    }

    /**
     * Writes a report with a given plotter. A plotter that throws an {@link Error} or a runtime
     * exception (a JRE without fonts or {@code libharfbuzz} throws {@link UnsatisfiedLinkError}
     * from Java2D) leaves its sections without plots, saying why; the rest is written.
     */
    static Path write(ReportContents contents, Path directory, Plotter plotter) throws IOException {
        // charts render off-screen: CI machines have no display
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(directory);
        boolean single = contents.workloads().size() == 1 && contents.architectures().isEmpty();
        Map<String, SectionPlots> plots = new LinkedHashMap<>();
        for (MatrixResult workload : contents.workloads()) {
            SectionPlots section;
            try {
                section = plotter.draw(workload, single ? "" : workload.workloadName() + "-");
            } catch (LinkageError | InternalError | RuntimeException e) {
                section = SectionPlots.notDrawn(e);
            }
            plots.put(workload.workloadName(), section);
            for (Map.Entry<String, byte[]> plot : section.files().entrySet()) {
                Files.write(directory.resolve(plot.getKey()), plot.getValue());
            }
        }
        Files.writeString(
                directory.resolve(MARKDOWN),
                MarkdownReport.render(contents, plots),
                StandardCharsets.UTF_8);
        Path html = directory.resolve(HTML);
        Files.writeString(html, HtmlReport.render(contents, plots), StandardCharsets.UTF_8);
        return html;
    }

    /**
     * Returns the test accuracy per precision of workloads with a test set, as Markdown: each
     * workload's accuracy and its difference to {@code 32-true}.
     *
     * @param workloads the workloads' results
     * @return a Markdown table
     */
    public static String accuracyTable(List<MatrixResult> workloads) {
        return MarkdownReport.render(ReportTables.accuracy(workloads));
    }

    /**
     * Returns the per-precision table of the cells that ran, as Markdown: final loss, accuracy,
     * skipped steps, final loss scale, step time, parameter and activation bytes.
     *
     * @param result the matrix's result
     * @return a Markdown table
     */
    public static String trainingTable(MatrixResult result) {
        return MarkdownReport.render(ReportTables.perPrecision(result));
    }
}

package io.github.djlprecision.compat.report;

import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.Check;
import io.github.djlprecision.compat.MachineInfo;
import io.github.djlprecision.compat.MatrixResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes the report as one self-contained HTML page ({@code index.html}): inline CSS, plots
 * embedded, verdicts as coloured cells whose tooltips say what ran or why not.
 */
final class HtmlReport {

    /** The page's style sheet, inlined so that the page needs no other file. */
    private static final String STYLE = readStyle();

    private final StringBuilder h = new StringBuilder();

    private HtmlReport() {}

    private static String readStyle() {
        try (InputStream in = HtmlReport.class.getResourceAsStream("report.css")) {
            if (in == null) {
                throw new IllegalStateException("report.css is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Renders a report.
     *
     * @param contents what the report shows
     * @param plots each workload's plots, by workload name
     * @return the page
     */
    static String render(ReportContents contents, Map<String, SectionPlots> plots) {
        HtmlReport report = new HtmlReport();
        report.write(contents, plots);
        return report.h.toString();
    }

    private void write(ReportContents contents, Map<String, SectionPlots> plots) {
        MachineInfo machine = contents.all().get(0).machine();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(esc(contents.title()))
                .append("</title>\n<style>\n")
                .append(STYLE)
                .append("</style></head><body>\n");
        h.append("<h1>").append(esc(contents.title())).append("</h1>\n");
        contents.notes().forEach(note -> h.append("<p>").append(esc(note)).append("</p>\n"));
        h.append("<p class=\"muted\">Generated ")
                .append(machine.time())
                .append(" by djl-precision ")
                .append(esc(machine.projectVersion()))
                .append(" on DJL ")
                .append(esc(machine.djlVersion()))
                .append(".</p>\n");
        h.append("<p class=\"summary\">")
                .append(ReportTables.summary(contents.all()))
                .append("</p>\n");
        boolean single = contents.workloads().size() == 1 && contents.architectures().isEmpty();
        if (!single && contents.workloads().stream().anyMatch(ReportTables::hasTestAccuracy)) {
            h.append("<h2>Test accuracy</h2>\n");
            table(ReportTables.accuracy(contents.workloads()), null);
        }
        for (MatrixResult workload : contents.workloads()) {
            section(workload, plots.get(workload.workloadName()), single);
        }
        if (!contents.architectures().isEmpty()) {
            architectures(contents.architectures());
        }
        h.append("<h2>Machine</h2>\n<table>\n");
        ReportTables.machine(contents.all())
                .forEach(
                        (k, v) ->
                                h.append("<tr><th>")
                                        .append(esc(k))
                                        .append("</th><td>")
                                        .append(esc(v))
                                        .append("</td></tr>\n"));
        h.append("</table>\n<details><summary>All CPU flags</summary><p><code>")
                .append(esc(String.join(" ", machine.cpuFlags())))
                .append("</code></p></details>\n</body></html>\n");
    }

    private void section(MatrixResult result, SectionPlots plots, boolean single) {
        String level = single ? "h2" : "h3";
        if (!single) {
            h.append("<h2 id=\"")
                    .append(esc(result.workloadName()))
                    .append("\">")
                    .append(esc(result.workloadName()))
                    .append("</h2>\n");
        }
        h.append("<p>").append(esc(result.workloadDescription())).append("</p>\n");
        h.append("<p class=\"muted\">Selection: ")
                .append(esc(result.selection().toString()))
                .append(". Settings: ")
                .append(esc(result.settings()))
                .append(".</p>\n");
        if (!single) {
            h.append("<p class=\"summary\">")
                    .append(ReportTables.summary(List.of(result)))
                    .append("</p>\n");
        }
        heading(level, "Matrix");
        table(ReportTables.matrix(result), "grid");
        heading(level, "Per precision");
        table(ReportTables.perPrecision(result), null);
        h.append(
                "<p class=\"muted\">Loss and accuracy: whole training set after training, in the"
                        + " cell's precision; test accuracy on held-out data. Step time: median"
                        + " wall time of a training step, information only.</p>\n");
        if (plots != null && plots.missing() != null) {
            heading(level, "Plots");
            h.append("<p class=\"muted\">").append(esc(plots.missing())).append("</p>\n");
        }
        if (plots != null && !plots.files().isEmpty()) {
            heading(level, "Plots");
            h.append("<div class=\"plots\">\n");
            plots.files()
                    .forEach(
                            (name, png) ->
                                    h.append("<img alt=\"")
                                            .append(esc(plots.captions().get(name)))
                                            .append("\" class=\"")
                                            .append(name.endsWith("loss.png") ? "wide" : "")
                                            .append("\" src=\"data:image/png;base64,")
                                            .append(Base64.getEncoder().encodeToString(png))
                                            .append("\">\n"));
            h.append("</div>\n");
        }
        h.append("<details><summary>Verdicts, reasons and checks of each cell</summary>\n");
        checks(result.results());
        h.append("</details>\n");
    }

    private void architectures(List<MatrixResult> architectures) {
        MatrixResult first = architectures.get(0);
        h.append("<h2 id=\"architectures\">Architectures</h2>\n");
        h.append(
                "<p>Each architecture is built as a digit classifier at the smallest input its"
                        + " builder accepts and trained for a few steps in every precision and"
                        + " Apex level: the loss must stay finite and not diverge; parameters,"
                        + " gradients and each layer's output must have the data types the"
                        + " precision requires; loss scaling must follow GradScaler's rule; memory"
                        + " must shrink as the types imply. Hover a cell for what ran or why"
                        + " not.</p>\n");
        h.append("<p class=\"muted\">Selection: ")
                .append(esc(first.selection().toString()))
                .append(". Settings: ")
                .append(esc(first.settings()))
                .append(".</p>\n");
        h.append("<p class=\"summary\">")
                .append(ReportTables.summary(architectures))
                .append("</p>\n");
        table(ReportTables.architectureGrid(architectures), "grid");
        h.append("<p class=\"muted\">").append(esc(MarkdownReport.LEGEND)).append("</p>\n");
        Table notPassed = ReportTables.notPassed(architectures);
        if (!notPassed.rows().isEmpty()) {
            h.append("<details><summary>Cells that did not pass, and why (")
                    .append(notPassed.rows().size())
                    .append(")</summary>\n");
            table(notPassed, null);
            h.append("</details>\n");
        }
        h.append("<details><summary>What each architecture is</summary><ul>\n");
        for (MatrixResult a : architectures) {
            h.append("<li><b>")
                    .append(esc(a.workloadName()))
                    .append("</b>: ")
                    .append(esc(a.workloadDescription()))
                    .append("</li>\n");
        }
        h.append("</ul></details>\n");
        h.append("<details><summary>Checks of each architecture cell</summary>\n");
        checks(architectures.stream().flatMap(a -> a.results().stream()).toList());
        h.append("</details>\n");
    }

    private void checks(List<CellResult> results) {
        h.append(
                "<table><tr><th>cell</th><th>verdict</th><th>what runs /"
                        + " reason</th><th>checks</th></tr>\n");
        for (CellResult r : results) {
            h.append("<tr><td>").append(esc(r.cell().id())).append("</td>");
            cell(ReportTables.verdict(r));
            h.append("<td>")
                    .append(esc(r.verdict().name().equals("PASS") ? r.path() : r.reason()))
                    .append("</td><td><ul>");
            for (Check c : r.checks()) {
                h.append("<li")
                        .append(c.passed() ? "" : " class=\"bad\"")
                        .append(">")
                        .append(c.passed() ? "ok " : "FAILED ")
                        .append(esc(c.name()))
                        .append(": ")
                        .append(esc(c.detail()))
                        .append("</li>");
            }
            h.append("</ul></td></tr>\n");
        }
        h.append("</table>\n");
    }

    private void heading(String level, String text) {
        h.append('<')
                .append(level)
                .append('>')
                .append(esc(text))
                .append("</")
                .append(level)
                .append(">\n");
    }

    private void table(Table table, String cssClass) {
        h.append(cssClass == null ? "<table>" : "<table class=\"" + cssClass + "\">")
                .append("<tr>");
        table.headers().forEach(head -> h.append("<th>").append(esc(head)).append("</th>"));
        h.append("</tr>\n");
        for (List<Table.Cell> row : table.rows()) {
            h.append("<tr>");
            row.forEach(this::cell);
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private void cell(Table.Cell cell) {
        h.append("<td");
        if (cell.style() != null) {
            h.append(" class=\"").append(cell.style()).append('"');
        }
        if (cell.tooltip() != null) {
            h.append(" title=\"").append(esc(cell.tooltip())).append('"');
        }
        h.append('>').append(esc(cell.text())).append("</td>");
    }

    static String esc(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }
}

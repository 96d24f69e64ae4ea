package io.github.djlprecision.compat.report;

import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.Check;
import io.github.djlprecision.compat.MachineInfo;
import io.github.djlprecision.compat.MatrixResult;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes the report as Markdown ({@code report.md}), for the docs and for reading on GitHub. */
final class MarkdownReport {

    /** What the verdicts of the architecture grid mean. */
    static final String LEGEND =
            "PASS: trained and every check held. UNSUPPORTED: refused up front with the designed"
                    + " reason. FAIL: a check failed, an error, or a verdict the tables do not"
                    + " expect. FAIL (known): a known failure listed in architectures.tsv, to be"
                    + " fixed.";

    private final StringBuilder md = new StringBuilder();

    private MarkdownReport() {}

    /**
     * Renders a report.
     *
     * @param contents what the report shows
     * @param plots each workload's plots, by workload name
     * @return the Markdown text
     */
    static String render(ReportContents contents, Map<String, SectionPlots> plots) {
        MarkdownReport report = new MarkdownReport();
        report.write(contents, plots);
        return report.md.toString();
    }

    private void write(ReportContents contents, Map<String, SectionPlots> plots) {
        MachineInfo machine = contents.all().get(0).machine();
        md.append("# ").append(contents.title()).append("\n\n");
        contents.notes().forEach(note -> md.append(note).append("\n\n"));
        md.append("Generated ")
                .append(machine.time())
                .append(" by djl-precision ")
                .append(machine.projectVersion())
                .append(" on DJL ")
                .append(machine.djlVersion())
                .append(".\n\n");
        md.append("**").append(ReportTables.summary(contents.all())).append("**\n\n");
        boolean single = contents.workloads().size() == 1 && contents.architectures().isEmpty();
        if (!single && contents.workloads().stream().anyMatch(ReportTables::hasTestAccuracy)) {
            md.append("## Test accuracy\n\n");
            table(ReportTables.accuracy(contents.workloads()));
        }
        for (MatrixResult workload : contents.workloads()) {
            section(workload, plots.get(workload.workloadName()), single ? "##" : "###", single);
        }
        if (!contents.architectures().isEmpty()) {
            architectures(contents.architectures());
        }
        machine(contents.all(), machine);
    }

    private void section(MatrixResult result, SectionPlots plots, String level, boolean single) {
        if (!single) {
            md.append("## ").append(result.workloadName()).append("\n\n");
        }
        md.append(result.workloadDescription()).append("\n\n");
        md.append("Selection: ").append(result.selection()).append(". ");
        md.append("Settings: ").append(result.settings()).append(".\n\n");
        if (!single) {
            md.append("**").append(ReportTables.summary(List.of(result))).append("**\n\n");
        }
        md.append(level).append(" Matrix\n\n");
        table(ReportTables.matrix(result));
        md.append(level).append(" Per precision\n\n");
        table(ReportTables.perPrecision(result));
        md.append(
                "Final loss and accuracy are evaluated over the whole training set after training,"
                        + " in the cell's precision; \"vs 32-true\" is the difference to the"
                        + " 32-true run on the same engine and device. Test accuracy is measured on"
                        + " held-out data the cell never trained on. Activation bytes sum every"
                        + " layer's output in one forward pass of one batch; parameter bytes follow"
                        + " the parameters' data types. Step time is the median wall time of a"
                        + " training step (information only, never asserted). TensorFlow cells run"
                        + " inference of a SavedModel: their loss is the mean squared error of the"
                        + " outputs to the float64 reference, their step time one predict, and"
                        + " their parameter bytes the graph's float32 constants (the mixed rewrite"
                        + " keeps them).\n\n");
        md.append(level).append(" Verdicts and reasons\n\n");
        table(ReportTables.verdicts(result));
        md.append(level).append(" Checks\n\n");
        for (CellResult r : result.results()) {
            checks(r);
        }
        md.append(level).append(" Layer outputs\n\n");
        for (CellResult r : ReportTables.ran(result)) {
            if (r.metrics().layers().isEmpty()) {
                continue;
            }
            md.append("- ")
                    .append(r.cell().id())
                    .append(": ")
                    .append(
                            r.metrics().layers().stream()
                                    .map(
                                            l ->
                                                    l.name()
                                                            + " "
                                                            + l.dataType()
                                                            + " ("
                                                            + l.bytes()
                                                            + " B)")
                                    .collect(Collectors.joining(", ")))
                    .append('\n');
        }
        md.append('\n');
        if (plots != null && plots.missing() != null) {
            md.append(level).append(" Plots\n\n").append(plots.missing()).append("\n\n");
        }
        if (plots != null && !plots.files().isEmpty()) {
            md.append(level).append(" Plots\n\n");
            plots.captions()
                    .forEach(
                            (file, caption) ->
                                    md.append("![")
                                            .append(caption)
                                            .append("](")
                                            .append(file)
                                            .append(")\n\n"));
        }
    }

    private void checks(CellResult r) {
        if (r.checks().isEmpty()) {
            return;
        }
        md.append("**").append(r.cell().id()).append("** (").append(r.verdict()).append(")\n\n");
        for (Check c : r.checks()) {
            md.append("- ")
                    .append(c.passed() ? "ok" : "**FAILED**")
                    .append(" ")
                    .append(c.name())
                    .append(": ")
                    .append(oneLine(c.detail()))
                    .append('\n');
        }
        md.append('\n');
    }

    private void architectures(List<MatrixResult> architectures) {
        MatrixResult first = architectures.get(0);
        md.append("## Architectures\n\n");
        md.append(
                "Each architecture is built as a digit classifier at the smallest input its"
                        + " builder accepts and trained for a few steps in every precision and"
                        + " Apex level: the loss must stay finite and not diverge, parameters,"
                        + " gradients and each layer's output must have the data types the"
                        + " precision requires, loss scaling must follow GradScaler's rule, and"
                        + " memory must shrink as the types imply. Hover a cell in the HTML"
                        + " report for what ran or why not.\n\n");
        md.append("Selection: ").append(first.selection()).append(". ");
        md.append("Settings: ").append(first.settings()).append(".\n\n");
        md.append("**").append(ReportTables.summary(architectures)).append("**\n\n");
        table(ReportTables.architectureGrid(architectures));
        md.append(LEGEND).append("\n\n");
        Table notPassed = ReportTables.notPassed(architectures);
        if (!notPassed.rows().isEmpty()) {
            md.append("### Cells that did not pass\n\n");
            table(notPassed);
        }
        md.append("### What each architecture is\n\n");
        for (MatrixResult a : architectures) {
            md.append("- **")
                    .append(a.workloadName())
                    .append("**: ")
                    .append(a.workloadDescription())
                    .append('\n');
        }
        md.append('\n');
    }

    private void machine(List<MatrixResult> results, MachineInfo machine) {
        md.append("## Machine\n\n");
        ReportTables.machine(results)
                .forEach(
                        (k, v) ->
                                md.append("- **")
                                        .append(k)
                                        .append("**: ")
                                        .append(oneLine(v))
                                        .append('\n'));
        md.append("- **all CPU flags**: ")
                .append(String.join(" ", machine.cpuFlags()))
                .append('\n');
    }

    private void table(Table table) {
        md.append(render(table));
    }

    /** Renders a table; verdicts other than PASS in bold. */
    static String render(Table table) {
        StringBuilder md = new StringBuilder();
        md.append("| ").append(String.join(" | ", table.headers())).append(" |\n|");
        for (int i = 0; i < table.headers().size(); i++) {
            md.append(isText(table, i) ? "---|" : "---:|");
        }
        md.append('\n');
        for (List<Table.Cell> row : table.rows()) {
            md.append("|");
            for (Table.Cell cell : row) {
                String text = oneLine(cell.text());
                md.append(' ').append(cell.isAlarming() ? "**" + text + "**" : text).append(" |");
            }
            md.append('\n');
        }
        return md.append('\n').toString();
    }

    /** A column is right-aligned when its cells are numbers. */
    private static boolean isText(Table table, int column) {
        return table.rows().stream().noneMatch(row -> "num".equals(row.get(column).style()));
    }

    static String oneLine(String text) {
        return text == null ? "" : text.replace('\n', ' ').replace("|", "\\|");
    }
}

package io.github.djlprecision.compat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes a matrix's report: {@code report.md} (for the docs), {@code index.html} (one
 * self-contained page: inline CSS, plots embedded) and the plots as PNG files beside them.
 */
public final class CompatReport {

    /** The Markdown report's file name. */
    public static final String MARKDOWN = "report.md";

    /** The HTML page's file name. */
    public static final String HTML = "index.html";

    private static final String LOSS_PNG = "loss.png";
    private static final String SCALE_PNG = "loss-scale.png";
    private static final String MEMORY_PNG = "memory.png";

    /** The page's style sheet, inlined so that the page needs no other file. */
    private static final String STYLE = readStyle();

    private CompatReport() {}

    private static String readStyle() {
        try (InputStream in = CompatReport.class.getResourceAsStream("report.css")) {
            if (in == null) {
                throw new IllegalStateException("report.css is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the report into a folder, creating it.
     *
     * @param result the matrix's result
     * @param directory the folder
     * @return the HTML page's path
     * @throws IOException if a file cannot be written
     */
    public static Path write(MatrixResult result, Path directory) throws IOException {
        // charts render off-screen: CI machines have no display
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(directory);
        Map<String, byte[]> plots = plots(result);
        for (Map.Entry<String, byte[]> plot : plots.entrySet()) {
            Files.write(directory.resolve(plot.getKey()), plot.getValue());
        }
        Files.writeString(
                directory.resolve(MARKDOWN),
                markdown(result, plots.keySet()),
                StandardCharsets.UTF_8);
        Path html = directory.resolve(HTML);
        Files.writeString(html, html(result, plots), StandardCharsets.UTF_8);
        return html;
    }

    /**
     * Returns the per-precision table of the cells that ran: final loss, accuracy, skipped steps,
     * final loss scale, step time, parameter and activation bytes.
     *
     * @param result the matrix's result
     * @return a Markdown table
     */
    public static String trainingTable(MatrixResult result) {
        StringBuilder md = new StringBuilder();
        md.append(
                "| engine | device | precision | verdict | mode | final loss | vs 32-true |"
                    + " accuracy | skipped steps | final loss scale | step time (ms) | parameter"
                    + " bytes | activation bytes |\n");
        md.append("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (CellResult r : ran(result)) {
            CellMetrics m = r.metrics();
            md.append("| ")
                    .append(r.cell().engine())
                    .append(" | ")
                    .append(r.cell().device())
                    .append(" | ")
                    .append(r.cell().variant().label())
                    .append(" | ")
                    .append(r.verdict())
                    .append(" | ")
                    .append(r.mode() == null ? "" : r.mode().name().toLowerCase(Locale.ROOT))
                    .append(" | ")
                    .append(loss(m.finalLoss()))
                    .append(" | ")
                    .append(delta(m))
                    .append(" | ")
                    .append(fmt(m.accuracy(), "%.3f"))
                    .append(" | ")
                    .append(m.skippedSteps())
                    .append(" | ")
                    .append(fmt(m.finalLossScale(), "%.0f"))
                    .append(" | ")
                    .append(fmt(m.stepTimeMillis(), "%.2f"))
                    .append(" | ")
                    .append(m.parameterBytes())
                    .append(" | ")
                    .append(activationBytes(m))
                    .append(" |\n");
        }
        return md.toString();
    }

    private static List<CellResult> ran(MatrixResult result) {
        return result.results().stream()
                .filter(r -> r.metrics() != null)
                .collect(Collectors.toList());
    }

    /** No layer probed (a TensorFlow graph): not measured, rather than zero. */
    private static String activationBytes(CellMetrics m) {
        return m.layers().isEmpty() ? "-" : Long.toString(m.activationBytes());
    }

    private static String delta(CellMetrics m) {
        if (Double.isNaN(m.referenceLoss())) {
            return "";
        }
        double delta = m.finalLoss() - m.referenceLoss();
        return String.format(
                Locale.ROOT, delta != 0 && Math.abs(delta) < 1e-3 ? "%+.2e" : "%+.4f", delta);
    }

    /** Tiny losses (a TensorFlow cell's error to float64) in scientific notation, not 0.0000. */
    private static String loss(double value) {
        return fmt(value, value != 0 && Math.abs(value) < 1e-3 ? "%.2e" : "%.4f");
    }

    private static String fmt(double value, String format) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    /** A cell's name in plots: the precision, with engine and device when several ran. */
    private static String label(CellResult r, boolean severalPlaces) {
        String label = r.cell().variant().label();
        return severalPlaces ? r.cell().engine() + " " + r.cell().device() + " " + label : label;
    }

    private static Map<String, byte[]> plots(MatrixResult result) throws IOException {
        List<CellResult> ran = ran(result);
        boolean severalPlaces =
                ran.stream().map(r -> r.cell().engine() + r.cell().device()).distinct().count() > 1;
        List<Charts.Series> trained = new ArrayList<>();
        List<Charts.Series> scaled = new ArrayList<>();
        List<Charts.Series> all = new ArrayList<>();
        for (CellResult r : ran) {
            CellMetrics m = r.metrics();
            Charts.Series series = new Charts.Series(label(r, severalPlaces), m);
            if (!m.layers().isEmpty()) {
                all.add(series);
            }
            if (m.losses().length > 0) {
                trained.add(series);
                if (!Float.isNaN(m.lossScales()[0])) {
                    scaled.add(series);
                }
            }
        }
        Map<String, byte[]> plots = new LinkedHashMap<>();
        if (!trained.isEmpty()) {
            plots.put(LOSS_PNG, Charts.lossCurves(trained));
        }
        if (!scaled.isEmpty()) {
            plots.put(SCALE_PNG, Charts.lossScales(scaled));
        }
        if (!all.isEmpty()) {
            plots.put(MEMORY_PNG, Charts.memory(all));
        }
        return plots;
    }

    /** Rows of the verdict grid: one per engine and device, one column per variant. */
    private static Map<String, Map<String, CellResult>> grid(MatrixResult result) {
        Map<String, Map<String, CellResult>> rows = new LinkedHashMap<>();
        for (CellResult r : result.results()) {
            rows.computeIfAbsent(
                            r.cell().engine() + " | " + r.cell().device(),
                            k -> new LinkedHashMap<>())
                    .put(r.cell().variant().label(), r);
        }
        return rows;
    }

    private static List<String> columns(MatrixResult result) {
        Set<String> present =
                result.results().stream()
                        .map(r -> r.cell().variant().label())
                        .collect(Collectors.toSet());
        return PrecisionVariant.all().stream()
                .map(PrecisionVariant::label)
                .filter(present::contains)
                .collect(Collectors.toList());
    }

    private static String summary(MatrixResult result) {
        return result.count(Verdict.PASS)
                + " PASS, "
                + result.count(Verdict.UNSUPPORTED)
                + " UNSUPPORTED, "
                + result.count(Verdict.FAIL)
                + " FAIL";
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replace('\n', ' ').replace("|", "\\|");
    }

    private static String markdown(MatrixResult result, Set<String> plots) {
        MachineInfo machine = result.machine();
        StringBuilder md = new StringBuilder();
        md.append("# Compatibility report: ").append(result.workloadName()).append("\n\n");
        md.append(result.workloadDescription()).append("\n\n");
        md.append("Generated ")
                .append(machine.time())
                .append(" by djl-precision ")
                .append(machine.projectVersion())
                .append(" on DJL ")
                .append(machine.djlVersion())
                .append(". Selection: ")
                .append(result.selection())
                .append(".\n\n");
        md.append("Settings: ").append(result.settings()).append(".\n\n");
        md.append("**").append(summary(result)).append("**\n\n");

        md.append("## Matrix\n\n");
        List<String> columns = columns(result);
        md.append("| engine | device | ").append(String.join(" | ", columns)).append(" |\n");
        md.append("|---|---|").append("---|".repeat(columns.size())).append("\n");
        for (Map.Entry<String, Map<String, CellResult>> row : grid(result).entrySet()) {
            md.append("| ").append(row.getKey());
            for (String column : columns) {
                CellResult r = row.getValue().get(column);
                md.append(" | ")
                        .append(
                                r == null
                                        ? ""
                                        : r.verdict() == Verdict.PASS
                                                ? "PASS"
                                                : "**" + r.verdict() + "**");
            }
            md.append(" |\n");
        }
        md.append("\n## Per precision\n\n").append(trainingTable(result)).append('\n');
        md.append(
                "Final loss and accuracy are evaluated over the whole training set after training,"
                    + " in the cell's precision; \"vs 32-true\" is the difference to the 32-true"
                    + " run on the same engine and device. Activation bytes sum every layer's"
                    + " output in one forward pass of one batch; parameter bytes follow the"
                    + " parameters' data types. Step time is the median wall time of a training"
                    + " step (information only, never asserted). TensorFlow cells run inference"
                    + " of a SavedModel: their loss is the mean squared error of the outputs to"
                    + " the float64 reference, their step time one predict, and their parameter"
                    + " bytes the graph's float32 constants (the mixed rewrite keeps them).\n\n");
        md.append(
                "## Verdicts and reasons\n\n"
                    + "| cell | verdict | what runs / reason |\n"
                    + "|---|---|---|\n");
        for (CellResult r : result.results()) {
            md.append("| ")
                    .append(r.cell().id())
                    .append(" | ")
                    .append(r.verdict())
                    .append(" | ")
                    .append(oneLine(r.verdict() == Verdict.PASS ? r.path() : r.reason()))
                    .append(" |\n");
        }
        md.append("\n## Checks\n\n");
        for (CellResult r : result.results()) {
            if (r.checks().isEmpty()) {
                continue;
            }
            md.append("**")
                    .append(r.cell().id())
                    .append("** (")
                    .append(r.verdict())
                    .append(")\n\n");
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
        md.append("## Layer outputs\n\n");
        for (CellResult r : ran(result)) {
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
        md.append("\n## Plots\n\n");
        if (plots.contains(LOSS_PNG)) {
            md.append("![Training loss per step](").append(LOSS_PNG).append(")\n\n");
        }
        if (plots.contains(SCALE_PNG)) {
            md.append("![Loss scale per step, skipped steps marked](")
                    .append(SCALE_PNG)
                    .append(")\n\n");
        }
        if (plots.contains(MEMORY_PNG)) {
            md.append("![Memory per precision](").append(MEMORY_PNG).append(")\n\n");
        }
        md.append("## Machine\n\n");
        machineRows(result)
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
        return md.toString();
    }

    private static Map<String, String> machineRows(MatrixResult result) {
        MachineInfo machine = result.machine();
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("CPU", machine.cpuModel() + ", " + machine.cores() + " cores available");
        rows.put("16-bit CPU features", machine.precisionFlags());
        rows.put(
                "memory",
                machine.memoryBytes() < 0 ? "unknown" : (machine.memoryBytes() >> 20) + " MiB");
        rows.put("GPUs", machine.gpus().isEmpty() ? "none" : String.join("; ", machine.gpus()));
        rows.put("OS", machine.os());
        rows.put("Java", machine.java());
        rows.put("DJL", machine.djlVersion());
        rows.put(
                "engines",
                machine.engines().entrySet().stream()
                        .map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", ")));
        if (!result.excludedEngines().isEmpty()) {
            rows.put(
                    "engines not in the matrix",
                    result.excludedEngines().entrySet().stream()
                            .map(e -> e.getKey() + ": " + e.getValue())
                            .collect(Collectors.joining("; ")));
        }
        rows.put(
                "precision providers",
                machine.providers().entrySet().stream()
                        .map(e -> e.getKey() + " (" + e.getValue() + ")")
                        .collect(Collectors.joining("; ")));
        rows.put("djl-precision", machine.projectVersion());
        return rows;
    }

    private static String esc(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }

    private static String html(MatrixResult result, Map<String, byte[]> plots) {
        MachineInfo machine = result.machine();
        StringBuilder h = new StringBuilder();
        h.append(
                        "<!DOCTYPE html>\n"
                            + "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                            + "<title>Compatibility report: ")
                .append(esc(result.workloadName()))
                .append("</title>\n<style>\n")
                .append(STYLE)
                .append("</style></head><body>\n");
        h.append("<h1>Compatibility report: ").append(esc(result.workloadName())).append("</h1>\n");
        h.append("<p>").append(esc(result.workloadDescription())).append("</p>\n");
        h.append("<p class=\"muted\">Generated ")
                .append(machine.time())
                .append(" by djl-precision ")
                .append(esc(machine.projectVersion()))
                .append(" on DJL ")
                .append(esc(machine.djlVersion()))
                .append(". Selection: ")
                .append(esc(result.selection().toString()))
                .append(".</p>\n");
        h.append("<p class=\"muted\">Settings: ").append(esc(result.settings())).append(".</p>\n");
        h.append("<p class=\"summary\">").append(summary(result)).append("</p>\n");

        h.append("<h2>Matrix</h2>\n<table><tr><th>engine</th><th>device</th>");
        List<String> columns = columns(result);
        columns.forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
        h.append("</tr>\n");
        for (Map.Entry<String, Map<String, CellResult>> row : grid(result).entrySet()) {
            String[] place = row.getKey().split(" \\| ");
            h.append("<tr><td>")
                    .append(esc(place[0]))
                    .append("</td><td>")
                    .append(esc(place[1]))
                    .append("</td>");
            for (String column : columns) {
                CellResult r = row.getValue().get(column);
                if (r == null) {
                    h.append("<td></td>");
                } else {
                    String tip = r.verdict() == Verdict.PASS ? r.path() : r.reason();
                    h.append("<td class=\"")
                            .append(r.verdict())
                            .append("\" title=\"")
                            .append(esc(tip))
                            .append("\">")
                            .append(r.verdict())
                            .append("</td>");
                }
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");

        h.append("<h2>Per precision</h2>\n<table><tr>");
        for (String head :
                List.of(
                        "engine",
                        "device",
                        "precision",
                        "verdict",
                        "what runs",
                        "final loss",
                        "vs 32-true",
                        "accuracy",
                        "skipped steps",
                        "final loss scale",
                        "step time (ms)",
                        "parameter bytes",
                        "activation bytes")) {
            h.append("<th>").append(head).append("</th>");
        }
        h.append("</tr>\n");
        for (CellResult r : ran(result)) {
            CellMetrics m = r.metrics();
            h.append("<tr><td>")
                    .append(esc(r.cell().engine()))
                    .append("</td><td>")
                    .append(r.cell().device())
                    .append("</td><td>")
                    .append(esc(r.cell().variant().label()))
                    .append("</td><td class=\"")
                    .append(r.verdict())
                    .append("\">")
                    .append(r.verdict())
                    .append("</td><td><code>")
                    .append(esc(r.path()))
                    .append("</code></td>");
            for (String value :
                    List.of(
                            loss(m.finalLoss()),
                            delta(m),
                            fmt(m.accuracy(), "%.3f"),
                            Long.toString(m.skippedSteps()),
                            fmt(m.finalLossScale(), "%.0f"),
                            fmt(m.stepTimeMillis(), "%.2f"),
                            Long.toString(m.parameterBytes()),
                            activationBytes(m))) {
                h.append("<td class=\"num\">").append(esc(value)).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append(
                "</table>\n"
                    + "<p class=\"muted\">Loss and accuracy: whole training set after training, in"
                    + " the cell's precision. Step time: median wall time of a training step,"
                    + " information only.</p>\n");

        h.append("<h2>Plots</h2>\n<div class=\"plots\">\n");
        plots.forEach(
                (name, png) ->
                        h.append("<img alt=\"")
                                .append(name)
                                .append("\" src=\"data:image/png;base64,")
                                .append(Base64.getEncoder().encodeToString(png))
                                .append("\">\n"));
        h.append("</div>\n");

        h.append(
                "<h2>Verdicts, reasons and checks</h2>\n"
                    + "<table><tr><th>cell</th><th>verdict</th><th>what runs /"
                    + " reason</th><th>checks</th></tr>\n");
        for (CellResult r : result.results()) {
            h.append("<tr><td>")
                    .append(esc(r.cell().id()))
                    .append("</td><td class=\"")
                    .append(r.verdict())
                    .append("\">")
                    .append(r.verdict())
                    .append("</td><td>")
                    .append(esc(r.verdict() == Verdict.PASS ? r.path() : r.reason()))
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

        h.append("<h2>Machine</h2>\n<table>\n");
        machineRows(result)
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
        return h.toString();
    }
}

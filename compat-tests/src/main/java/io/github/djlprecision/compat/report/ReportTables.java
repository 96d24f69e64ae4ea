package io.github.djlprecision.compat.report;

import io.github.djlprecision.compat.CellMetrics;
import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.Check;
import io.github.djlprecision.compat.MachineInfo;
import io.github.djlprecision.compat.MatrixResult;
import io.github.djlprecision.compat.PrecisionVariant;
import io.github.djlprecision.compat.Verdict;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The report's tables and numbers, built once and rendered by both writers, so that the Markdown
 * and the HTML report always show the same values.
 */
final class ReportTables {

    private ReportTables() {}

    /** The cells that ran and measured something. */
    static List<CellResult> ran(MatrixResult result) {
        return result.results().stream().filter(r -> r.metrics() != null).toList();
    }

    /** Verdict counts, e.g. {@code "8 PASS, 2 UNSUPPORTED, 0 FAIL"}. */
    static String summary(List<MatrixResult> results) {
        long pass = 0;
        long unsupported = 0;
        long fail = 0;
        for (MatrixResult result : results) {
            pass += result.count(Verdict.PASS);
            unsupported += result.count(Verdict.UNSUPPORTED);
            fail += result.count(Verdict.FAIL);
        }
        return pass + " PASS, " + unsupported + " UNSUPPORTED, " + fail + " FAIL";
    }

    /** The precision variants present, in {@link PrecisionVariant#all()} order. */
    static List<String> columns(List<MatrixResult> results) {
        Set<String> present =
                results.stream()
                        .flatMap(m -> m.results().stream())
                        .map(r -> r.cell().variant().label())
                        .collect(Collectors.toSet());
        return PrecisionVariant.all().stream()
                .map(PrecisionVariant::label)
                .filter(present::contains)
                .toList();
    }

    /**
     * A verdict cell, coloured, with what runs (PASS) or the reason as its tooltip; a known failure
     * (listed in an expectation table) has its own colour.
     */
    static Table.Cell verdict(CellResult r) {
        if (r.knownFailure()) {
            return new Table.Cell("FAIL (known)", Table.Cell.KNOWN, "known failure: " + r.reason());
        }
        return new Table.Cell(
                r.verdict().name(),
                r.verdict().name(),
                r.verdict() == Verdict.PASS ? r.path() : r.reason());
    }

    /** One row per engine and device, one column per precision variant. */
    static Table matrix(MatrixResult result) {
        List<String> columns = columns(List.of(result));
        Map<String, Map<String, CellResult>> rows = new LinkedHashMap<>();
        for (CellResult r : result.results()) {
            rows.computeIfAbsent(
                            r.cell().engine() + "|" + r.cell().device(), k -> new LinkedHashMap<>())
                    .put(r.cell().variant().label(), r);
        }
        List<String> headers = new ArrayList<>(List.of("engine", "device"));
        headers.addAll(columns);
        List<List<Table.Cell>> cells = new ArrayList<>();
        rows.forEach(
                (place, byVariant) -> {
                    String[] parts = place.split("\\|");
                    List<Table.Cell> row = new ArrayList<>();
                    row.add(Table.Cell.text(parts[0]));
                    row.add(Table.Cell.text(parts[1]));
                    for (String column : columns) {
                        CellResult r = byVariant.get(column);
                        row.add(r == null ? Table.Cell.text("") : verdict(r));
                    }
                    cells.add(row);
                });
        return new Table(headers, cells);
    }

    /**
     * The architecture axis as one grid: a row per architecture and device, a column per precision
     * variant.
     */
    static Table architectureGrid(List<MatrixResult> architectures) {
        List<String> columns = columns(architectures);
        List<String> headers = new ArrayList<>(List.of("architecture", "device"));
        headers.addAll(columns);
        List<List<Table.Cell>> rows = new ArrayList<>();
        for (MatrixResult architecture : architectures) {
            Map<String, Map<String, CellResult>> byDevice = new LinkedHashMap<>();
            for (CellResult r : architecture.results()) {
                byDevice.computeIfAbsent(r.cell().device().toString(), k -> new LinkedHashMap<>())
                        .put(r.cell().variant().label(), r);
            }
            byDevice.forEach(
                    (device, byVariant) -> {
                        List<Table.Cell> row = new ArrayList<>();
                        row.add(
                                new Table.Cell(
                                        architecture.workloadName(),
                                        null,
                                        architecture.workloadDescription()));
                        row.add(Table.Cell.text(device));
                        for (String column : columns) {
                            CellResult r = byVariant.get(column);
                            row.add(r == null ? Table.Cell.text("") : verdict(r));
                        }
                        rows.add(row);
                    });
        }
        return new Table(headers, rows);
    }

    /**
     * Test accuracy per precision, one pair of columns per workload with a test set: the accuracy
     * and its difference to {@code 32-true}, coloured by the tolerance check.
     */
    static Table accuracy(List<MatrixResult> workloads) {
        List<MatrixResult> tested =
                workloads.stream().filter(ReportTables::hasTestAccuracy).toList();
        List<String> headers = new ArrayList<>(List.of("precision"));
        for (MatrixResult w : tested) {
            headers.add(w.workloadName() + " test accuracy");
            headers.add("vs 32-true");
        }
        List<List<Table.Cell>> rows = new ArrayList<>();
        for (String variant : columns(tested)) {
            List<Table.Cell> row = new ArrayList<>();
            row.add(Table.Cell.text(variant));
            boolean any = false;
            for (MatrixResult w : tested) {
                CellResult r =
                        w.results().stream()
                                .filter(c -> c.cell().variant().label().equals(variant))
                                .findFirst()
                                .orElse(null);
                CellMetrics m = r == null ? null : r.metrics();
                if (m == null || Double.isNaN(m.testAccuracy())) {
                    row.add(Table.Cell.text(r == null ? "" : r.verdict().name()));
                    row.add(Table.Cell.text(""));
                    continue;
                }
                any = true;
                row.add(Table.Cell.number(fmt(m.testAccuracy(), "%.4f")));
                Check check =
                        r.checks().stream()
                                .filter(c -> c.name().startsWith("test accuracy within"))
                                .findFirst()
                                .orElse(null);
                double delta = m.testAccuracy() - m.referenceTestAccuracy();
                String text = Double.isNaN(delta) ? "" : String.format(Locale.ROOT, "%+.4f", delta);
                row.add(
                        check == null
                                ? Table.Cell.number(text)
                                : new Table.Cell(
                                        text,
                                        check.passed() ? "PASS" : "FAIL",
                                        check.name() + ": " + check.detail()));
            }
            if (any) {
                rows.add(row);
            }
        }
        return new Table(headers, rows);
    }

    static boolean hasTestAccuracy(MatrixResult result) {
        return ran(result).stream().anyMatch(r -> !Double.isNaN(r.metrics().testAccuracy()));
    }

    /** The per-precision measurements of the cells that ran. */
    static Table perPrecision(MatrixResult result) {
        boolean tested = hasTestAccuracy(result);
        List<String> headers =
                new ArrayList<>(
                        List.of(
                                "engine",
                                "device",
                                "precision",
                                "verdict",
                                "mode",
                                "final loss",
                                "vs 32-true",
                                "accuracy"));
        if (tested) {
            headers.add("test accuracy");
        }
        headers.addAll(
                List.of(
                        "skipped steps",
                        "final loss scale",
                        "step time (ms)",
                        "parameter bytes",
                        "activation bytes"));
        List<List<Table.Cell>> rows = new ArrayList<>();
        for (CellResult r : ran(result)) {
            CellMetrics m = r.metrics();
            List<Table.Cell> row = new ArrayList<>();
            row.add(Table.Cell.text(r.cell().engine()));
            row.add(Table.Cell.text(r.cell().device().toString()));
            row.add(Table.Cell.text(r.cell().variant().label()));
            row.add(verdict(r));
            row.add(
                    Table.Cell.text(
                            r.mode() == null ? "" : r.mode().name().toLowerCase(Locale.ROOT)));
            row.add(Table.Cell.number(loss(m.finalLoss())));
            row.add(Table.Cell.number(delta(m)));
            row.add(Table.Cell.number(fmt(m.accuracy(), "%.3f")));
            if (tested) {
                row.add(Table.Cell.number(fmt(m.testAccuracy(), "%.4f")));
            }
            row.add(Table.Cell.number(Long.toString(m.skippedSteps())));
            row.add(Table.Cell.number(fmt(m.finalLossScale(), "%.0f")));
            row.add(Table.Cell.number(fmt(m.stepTimeMillis(), "%.2f")));
            row.add(Table.Cell.number(Long.toString(m.parameterBytes())));
            row.add(Table.Cell.number(activationBytes(m)));
            rows.add(row);
        }
        return new Table(headers, rows);
    }

    /** Each cell's verdict and what runs there, or why not. */
    static Table verdicts(MatrixResult result) {
        List<List<Table.Cell>> rows = new ArrayList<>();
        for (CellResult r : result.results()) {
            rows.add(
                    List.of(
                            Table.Cell.text(r.cell().id()),
                            verdict(r),
                            Table.Cell.text(r.verdict() == Verdict.PASS ? r.path() : r.reason())));
        }
        return new Table(List.of("cell", "verdict", "what runs / reason"), rows);
    }

    /** The cells that did not pass, across the architecture axis, with their reasons. */
    static Table notPassed(List<MatrixResult> results) {
        List<List<Table.Cell>> rows = new ArrayList<>();
        for (MatrixResult result : results) {
            for (CellResult r : result.results()) {
                if (r.verdict() != Verdict.PASS) {
                    rows.add(
                            List.of(
                                    Table.Cell.text(
                                            result.workloadName()
                                                    + " / "
                                                    + r.cell().variant().label()
                                                    + " / "
                                                    + r.cell().device()),
                                    verdict(r),
                                    Table.Cell.text(r.reason())));
                }
            }
        }
        return new Table(List.of("cell", "verdict", "reason"), rows);
    }

    /** The machine, one row per fact. */
    static Map<String, String> machine(List<MatrixResult> results) {
        MatrixResult first = results.get(0);
        MachineInfo machine = first.machine();
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
        if (!first.excludedEngines().isEmpty()) {
            rows.put(
                    "engines not in the matrix",
                    first.excludedEngines().entrySet().stream()
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

    /** No layer probed (a TensorFlow graph): not measured, rather than zero. */
    static String activationBytes(CellMetrics m) {
        return m.layers().isEmpty() ? "-" : Long.toString(m.activationBytes());
    }

    static String delta(CellMetrics m) {
        if (Double.isNaN(m.referenceLoss())) {
            return "";
        }
        double delta = m.finalLoss() - m.referenceLoss();
        return String.format(
                Locale.ROOT, delta != 0 && Math.abs(delta) < 1e-3 ? "%+.2e" : "%+.4f", delta);
    }

    /** Tiny losses (a TensorFlow cell's error to float64) in scientific notation, not 0.0000. */
    static String loss(double value) {
        return fmt(value, value != 0 && Math.abs(value) < 1e-3 ? "%.2e" : "%.4f");
    }

    static String fmt(double value, String format) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }
}

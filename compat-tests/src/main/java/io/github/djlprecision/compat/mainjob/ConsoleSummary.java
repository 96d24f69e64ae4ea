package io.github.djlprecision.compat.mainjob;

import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.MatrixResult;
import io.github.djlprecision.compat.PrecisionVariant;
import io.github.djlprecision.compat.Verdict;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The main job's closing lines: the architecture grid in letters and the unexpected failures. */
final class ConsoleSummary {

    private static final int REASON_LENGTH = 160;

    private ConsoleSummary() {}

    /** One row per architecture (and device), one letter per precision variant. */
    static void architectureGrid(List<MatrixResult> architectures, PrintStream out) {
        List<String> variants = new ArrayList<>();
        for (PrecisionVariant variant : PrecisionVariant.all()) {
            boolean present =
                    architectures.stream()
                            .flatMap(a -> a.results().stream())
                            .anyMatch(r -> r.cell().variant().equals(variant));
            if (present) {
                variants.add(variant.label());
            }
        }
        out.println(
                "Architectures (P pass, U unsupported as designed, F FAIL, k known failure listed"
                        + " in architectures.tsv):");
        StringBuilder head = new StringBuilder(String.format("  %-26s", ""));
        for (String variant : variants) {
            head.append(' ').append(shortLabel(variant));
        }
        out.println(head);
        for (MatrixResult architecture : architectures) {
            Map<String, Map<String, CellResult>> byDevice = new LinkedHashMap<>();
            for (CellResult r : architecture.results()) {
                byDevice.computeIfAbsent(r.cell().device().toString(), k -> new LinkedHashMap<>())
                        .put(r.cell().variant().label(), r);
            }
            byDevice.forEach(
                    (device, cells) -> {
                        StringBuilder row =
                                new StringBuilder(
                                        String.format(
                                                "  %-26s",
                                                architecture.workloadName()
                                                        + (byDevice.size() > 1
                                                                ? " " + device
                                                                : "")));
                        for (String variant : variants) {
                            CellResult r = cells.get(variant);
                            String letter = r == null ? "." : letter(r);
                            row.append(' ')
                                    .append(
                                            String.format(
                                                    "%-" + shortLabel(variant).length() + "s",
                                                    letter));
                        }
                        out.println(row);
                    });
        }
    }

    /** The failures the tables do not expect, one line each, reasons shortened. */
    static void unexpectedFailures(List<MatrixResult> results, PrintStream out) {
        for (MatrixResult result : results) {
            for (CellResult r : result.results()) {
                if (r.verdict() == Verdict.FAIL && !r.knownFailure()) {
                    String reason = r.reason().replace('\n', ' ');
                    if (reason.length() > REASON_LENGTH) {
                        reason = reason.substring(0, REASON_LENGTH) + "...";
                    }
                    out.println(
                            "FAIL " + result.workloadName() + " " + r.cell().id() + ": " + reason);
                }
            }
        }
    }

    private static String letter(CellResult r) {
        if (r.knownFailure()) {
            return "k";
        }
        return switch (r.verdict()) {
            case PASS -> "P";
            case UNSUPPORTED -> "U";
            case FAIL -> "F";
        };
    }

    /** Column heads: the precision, or only the Apex level for 16-mixed with one. */
    private static String shortLabel(String variant) {
        int slash = variant.indexOf('/');
        return (slash < 0 ? variant : variant.substring(slash + 1)).toLowerCase(Locale.ROOT);
    }
}

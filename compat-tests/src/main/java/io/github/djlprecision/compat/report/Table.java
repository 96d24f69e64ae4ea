package io.github.djlprecision.compat.report;

import java.util.List;

/**
 * One table of the report, as both writers render it: Markdown ({@link MarkdownReport}) and HTML
 * ({@link HtmlReport}).
 *
 * @param headers the column heads
 * @param rows the rows, each as long as the heads
 */
record Table(List<String> headers, List<List<Cell>> rows) {

    /**
     * One table cell.
     *
     * @param text what it shows
     * @param style a verdict ({@code PASS}, {@code UNSUPPORTED}, {@code FAIL}, or {@link #KNOWN})
     *     that colours it, {@code num} for a right-aligned number, or null
     * @param tooltip what hovering shows in HTML, or null
     */
    record Cell(String text, String style, String tooltip) {

        /** The style of a known failure: a FAIL an expectation table lists. */
        static final String KNOWN = "KNOWN";

        static Cell text(String text) {
            return new Cell(text, null, null);
        }

        static Cell number(String text) {
            return new Cell(text, "num", null);
        }

        /** Whether Markdown shows it in bold: every verdict but PASS. */
        boolean isAlarming() {
            return "UNSUPPORTED".equals(style) || "FAIL".equals(style) || KNOWN.equals(style);
        }
    }
}

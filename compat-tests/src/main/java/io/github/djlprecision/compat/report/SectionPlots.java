package io.github.djlprecision.compat.report;

import io.github.djlprecision.compat.CellMetrics;
import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.MatrixResult;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plots of one workload's section, by file name: loss panels, loss scale, memory. Each plot
 * exists only when some cell has data for it.
 *
 * @param files file name to PNG bytes, in the order the report shows them
 * @param captions file name to the plot's one-line caption
 * @param missing why the plots could not be drawn, or null when they were
 */
record SectionPlots(Map<String, byte[]> files, Map<String, String> captions, String missing) {

    /**
     * Returns no plots, saying why: e.g. a JRE without fonts or {@code libharfbuzz}, where Java2D
     * throws {@link UnsatisfiedLinkError} from {@code libfontmanager} while drawing text.
     *
     * @param error what drawing threw
     * @return no plots, with the reason
     */
    static SectionPlots notDrawn(Throwable error) {
        return new SectionPlots(
                Map.of(),
                Map.of(),
                "plots not drawn: this JRE cannot render charts ("
                        + error.getClass().getSimpleName()
                        + ": "
                        + error.getMessage()
                        + "); everything else in the report is complete");
    }

    /**
     * Draws a section's plots.
     *
     * @param result the workload's result
     * @param prefix put before each file name, e.g. {@code "digits-cnn-"}; empty for a report of
     *     one workload
     * @return the plots
     * @throws IOException if a plot cannot be encoded
     */
    static SectionPlots draw(MatrixResult result, String prefix) throws IOException {
        List<CellResult> ran = ReportTables.ran(result);
        boolean severalPlaces =
                ran.stream().map(r -> r.cell().engine() + r.cell().device()).distinct().count() > 1;
        List<ReportCharts.Series> trained = new ArrayList<>();
        List<ReportCharts.Series> scaled = new ArrayList<>();
        List<ReportCharts.Series> probed = new ArrayList<>();
        for (CellResult r : ran) {
            CellMetrics m = r.metrics();
            String label = r.cell().variant().label();
            if (severalPlaces) {
                label = r.cell().engine() + " " + r.cell().device() + " " + label;
            }
            ReportCharts.Series series =
                    new ReportCharts.Series(
                            label, m, r.cell().variant().isReference() && !severalPlaces);
            if (!m.layers().isEmpty()) {
                probed.add(series);
            }
            if (m.losses().length > 0) {
                trained.add(series);
                if (!Float.isNaN(m.lossScales()[0])) {
                    scaled.add(series);
                }
            }
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, String> captions = new LinkedHashMap<>();
        if (!trained.isEmpty()) {
            files.put(prefix + "loss.png", ReportCharts.lossPanels(trained));
            captions.put(
                    prefix + "loss.png",
                    "Training loss per step: 32-true, then each precision minus 32-true");
        }
        if (!scaled.isEmpty()) {
            files.put(prefix + "loss-scale.png", ReportCharts.lossScales(scaled));
            captions.put(prefix + "loss-scale.png", "Loss scale per step, skipped steps marked");
        }
        if (!probed.isEmpty()) {
            files.put(prefix + "memory.png", ReportCharts.memory(probed));
            captions.put(prefix + "memory.png", "Memory per precision");
        }
        return new SectionPlots(files, captions, null);
    }
}

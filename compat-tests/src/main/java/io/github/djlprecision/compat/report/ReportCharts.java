package io.github.djlprecision.compat.report;

import io.github.djlprecision.compat.CellMetrics;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.text.DecimalFormat;
import java.util.List;

import javax.imageio.ImageIO;

/** The report's plots, drawn with JFreeChart as PNG bytes. */
final class ReportCharts {

    /** The width of every plot, in pixels. */
    static final int WIDTH = 900;

    private static final int HEIGHT = 420;
    private static final int PANEL_COLUMNS = 3;
    private static final int PANEL_HEIGHT = 210;
    private static final Color LINE = new Color(0x15, 0x65, 0xC0);
    private static final Color RAW = new Color(0x15, 0x65, 0xC0, 0x50);
    private static final Color[] PALETTE = {
        new Color(0xC6, 0x28, 0x28), new Color(0x15, 0x65, 0xC0), new Color(0x2E, 0x7D, 0x32),
        new Color(0x6A, 0x1B, 0x9A), new Color(0xEF, 0x6C, 0x00), new Color(0x00, 0x83, 0x8F)
    };

    private ReportCharts() {}

    /**
     * One labelled series of per-step values.
     *
     * @param label the legend entry or panel title
     * @param metrics the cell's measurements
     * @param reference whether this is the {@code 32-true} cell the others are compared with
     */
    record Series(String label, CellMetrics metrics, boolean reference) {}

    /**
     * Small multiples of the training loss: the first panel shows the {@code 32-true} loss per
     * step, each other panel one precision's loss minus {@code 32-true}'s at the same step (the
     * same batch), all difference panels on one vertical scale. A thin line shows each step, a bold
     * one the moving mean over a twentieth of the run. Without a reference every panel shows the
     * loss itself.
     */
    static byte[] lossPanels(List<Series> cells) throws IOException {
        Series reference = cells.stream().filter(Series::reference).findFirst().orElse(null);
        List<Series> others = cells.stream().filter(s -> !s.reference()).toList();
        double bound = 0;
        if (reference != null) {
            for (Series cell : others) {
                float[] diff = difference(cell.metrics().losses(), reference.metrics().losses());
                for (float d : diff) {
                    if (Float.isFinite(d)) {
                        bound = Math.max(bound, Math.abs(d));
                    }
                }
            }
        }
        int panels = cells.size();
        int rows = (panels + PANEL_COLUMNS - 1) / PANEL_COLUMNS;
        int width = WIDTH + 300;
        int panelWidth = width / PANEL_COLUMNS;
        BufferedImage image =
                new BufferedImage(width, rows * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        int index = 0;
        List<Series> ordered =
                reference == null
                        ? cells
                        : java.util.stream.Stream.concat(
                                        java.util.stream.Stream.of(reference), others.stream())
                                .toList();
        for (Series cell : ordered) {
            JFreeChart chart;
            if (reference == null || cell == reference) {
                chart = panel(cell.label() + ": loss per step", cell.metrics().losses(), "loss");
            } else {
                chart =
                        panel(
                                cell.label() + " minus 32-true",
                                difference(cell.metrics().losses(), reference.metrics().losses()),
                                "loss difference");
                NumberAxis axis = (NumberAxis) chart.getXYPlot().getRangeAxis();
                double margin = bound == 0 ? 1e-3 : bound * 1.05;
                axis.setRange(-margin, margin);
                chart.getXYPlot()
                        .addRangeMarker(new ValueMarker(0, Color.GRAY, new BasicStroke(1f)));
            }
            int x = (index % PANEL_COLUMNS) * panelWidth;
            int y = (index / PANEL_COLUMNS) * PANEL_HEIGHT;
            chart.draw(g, new Rectangle2D.Double(x, y, panelWidth, PANEL_HEIGHT));
            index++;
        }
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static JFreeChart panel(String title, float[] values, String axisLabel) {
        XYSeriesCollection dataset = new XYSeriesCollection();
        XYSeries raw = new XYSeries("step");
        XYSeries mean = new XYSeries("moving mean");
        int window = Math.max(1, values.length / 20);
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            raw.add(i + 1, values[i]);
            sum += values[i];
            if (i >= window) {
                sum -= values[i - window];
            }
            if (i >= window - 1) {
                mean.add(i + 1, sum / window);
            }
        }
        dataset.addSeries(raw);
        dataset.addSeries(mean);
        JFreeChart chart =
                ChartFactory.createXYLineChart(
                        null,
                        "step",
                        axisLabel,
                        dataset,
                        PlotOrientation.VERTICAL,
                        false,
                        false,
                        false);
        chart.setTitle(new TextTitle(title, new Font(Font.SANS_SERIF, Font.BOLD, 13)));
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        renderer.setSeriesPaint(0, RAW);
        renderer.setSeriesStroke(0, new BasicStroke(0.8f));
        renderer.setSeriesPaint(1, LINE);
        renderer.setSeriesStroke(1, new BasicStroke(2f));
        plot.setRenderer(renderer);
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
        plot.getDomainAxis().setTickLabelFont(small);
        plot.getRangeAxis().setTickLabelFont(small);
        plot.getDomainAxis().setLabelFont(small);
        plot.getRangeAxis().setLabelFont(small);
        style(plot);
        return chart;
    }

    private static float[] difference(float[] losses, float[] reference) {
        int steps = Math.min(losses.length, reference.length);
        float[] diff = new float[steps];
        for (int i = 0; i < steps; i++) {
            diff[i] = losses[i] - reference[i];
        }
        return diff;
    }

    /**
     * Loss scale after each step on a log axis (base 2), one line per cell; each skipped step is
     * marked at the scale it backed off to.
     */
    static byte[] lossScales(List<Series> cells) throws IOException {
        XYSeriesCollection dataset = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        int index = 0;
        for (Series cell : cells) {
            float[] scales = cell.metrics().lossScales();
            boolean[] skipped = cell.metrics().skipped();
            XYSeries scale = new XYSeries(cell.label() + " loss scale");
            XYSeries skips = new XYSeries(cell.label() + " skipped step");
            for (int i = 0; i < scales.length; i++) {
                scale.add(i + 1, scales[i]);
                if (skipped[i]) {
                    skips.add(i + 1, scales[i]);
                }
            }
            dataset.addSeries(scale);
            renderer.setSeriesLinesVisible(index, true);
            renderer.setSeriesShapesVisible(index, false);
            renderer.setSeriesStroke(index, new BasicStroke(1.8f));
            index++;
            dataset.addSeries(skips);
            renderer.setSeriesLinesVisible(index, false);
            renderer.setSeriesShapesVisible(index, true);
            renderer.setSeriesShape(index, new Ellipse2D.Double(-4, -4, 8, 8));
            // a dot in the line's colour; the title says what dots are
            renderer.setSeriesPaint(index, PALETTE[(index / 2) % PALETTE.length]);
            renderer.setSeriesPaint(index - 1, PALETTE[(index / 2) % PALETTE.length]);
            renderer.setSeriesVisibleInLegend(index, false);
            index++;
        }
        JFreeChart chart =
                ChartFactory.createXYLineChart(
                        "Loss scale after each step (log scale; dots: skipped steps)",
                        "step",
                        "loss scale",
                        dataset,
                        PlotOrientation.VERTICAL,
                        true,
                        false,
                        false);
        XYPlot plot = chart.getXYPlot();
        LogAxis axis = new LogAxis("loss scale (log 2)");
        axis.setBase(2);
        axis.setSmallestValue(1);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setNumberFormatOverride(new DecimalFormat("#,##0"));
        plot.setRangeAxis(axis);
        plot.setRenderer(renderer);
        style(plot);
        return png(chart);
    }

    /** Parameter and activation bytes per cell, in KiB. */
    static byte[] memory(List<Series> cells) throws IOException {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        for (Series cell : cells) {
            dataset.addValue(cell.metrics().parameterBytes() / 1024.0, "parameters", cell.label());
            dataset.addValue(
                    cell.metrics().activationBytes() / 1024.0,
                    "activations (one forward)",
                    cell.label());
        }
        JFreeChart chart =
                ChartFactory.createBarChart(
                        "Memory per precision",
                        "",
                        "KiB",
                        dataset,
                        PlotOrientation.VERTICAL,
                        true,
                        false,
                        false);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        // precision labels are long ("16-mixed/O2"): slanted, so that none is cut short
        chart.getCategoryPlot()
                .getDomainAxis()
                .setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        return png(chart);
    }

    private static void style(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    }

    private static byte[] png(JFreeChart chart) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        return out.toByteArray();
    }
}

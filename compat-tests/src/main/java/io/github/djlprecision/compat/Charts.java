package io.github.djlprecision.compat;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.text.DecimalFormat;
import java.util.List;

/** The report's plots, drawn with JFreeChart as PNG bytes. */
final class Charts {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 420;

    private Charts() {}

    /**
     * One labelled series of per-step values.
     *
     * @param label the legend entry
     * @param metrics the cell's measurements
     */
    record Series(String label, CellMetrics metrics) {}

    /** Training loss over steps, one line per cell. */
    static byte[] lossCurves(List<Series> cells) throws IOException {
        XYSeriesCollection dataset = new XYSeriesCollection();
        for (Series cell : cells) {
            XYSeries series = new XYSeries(cell.label());
            float[] losses = cell.metrics().losses();
            for (int i = 0; i < losses.length; i++) {
                series.add(i + 1, losses[i]);
            }
            dataset.addSeries(series);
        }
        JFreeChart chart =
                ChartFactory.createXYLineChart(
                        "Training loss per step",
                        "step",
                        "loss",
                        dataset,
                        PlotOrientation.VERTICAL,
                        true,
                        false,
                        false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < cells.size(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(1.6f));
        }
        plot.setRenderer(renderer);
        style(plot);
        return png(chart);
    }

    /**
     * Loss scale after each step on a log axis, one line per cell; each skipped step is marked at
     * the scale it backed off to.
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
            renderer.setSeriesShape(index, new Ellipse2D.Double(-5, -5, 10, 10));
            renderer.setSeriesPaint(index, new Color(0xC6, 0x28, 0x28));
            index++;
        }
        JFreeChart chart =
                ChartFactory.createXYLineChart(
                        "Loss scale per step (skipped steps marked)",
                        "step",
                        "loss scale",
                        dataset,
                        PlotOrientation.VERTICAL,
                        true,
                        false,
                        false);
        XYPlot plot = chart.getXYPlot();
        LogAxis axis = new LogAxis("loss scale (log)");
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

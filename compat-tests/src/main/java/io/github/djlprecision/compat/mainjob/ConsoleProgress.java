package io.github.djlprecision.compat.mainjob;

import ai.djl.util.Progress;

import java.io.PrintStream;

/**
 * The main job's progress: on a terminal one line that updates in place (section, cell, its
 * training steps); elsewhere (a CI log, a pipe) nothing, so that a log gets a few summary lines
 * rather than one line per step. DJL's {@code ProgressBar} prints a new line per percent when
 * output is not a terminal.
 */
final class ConsoleProgress implements Progress {

    private static final int WIDTH = 100;
    private static final int BAR = 24;

    private final PrintStream out;
    private final boolean terminal;
    private String section = "";
    private int cells;
    private int cell;
    private String label = "";
    private long max = 1;
    private long done;
    private int shownPercent = -1;

    private ConsoleProgress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * Returns the progress for this process's console: updating on a terminal ({@code
     * System.console() != null}), silent otherwise.
     *
     * @param out where the line goes
     * @return the progress
     */
    static ConsoleProgress forConsole(PrintStream out) {
        return new ConsoleProgress(out, System.console() != null && out == System.out);
    }

    /**
     * Returns a progress that shows nothing.
     *
     * @param out unused
     * @return the progress
     */
    static ConsoleProgress silent(PrintStream out) {
        return new ConsoleProgress(out, false);
    }

    void section(String name, int cellCount) {
        section = name;
        cells = cellCount;
        cell = 0;
    }

    void cell(String cellLabel) {
        cell++;
        label = cellLabel;
        max = 1;
        done = 0;
        shownPercent = -1;
        draw();
    }

    /** Clears the line, so that the section's summary line takes its place. */
    void clear() {
        if (terminal) {
            out.print("\r" + " ".repeat(WIDTH) + "\r");
            out.flush();
        }
    }

    @Override
    public void reset(String message, long maxSteps, String trailingMessage) {
        max = Math.max(1, maxSteps);
        done = 0;
        shownPercent = -1;
        draw();
    }

    @Override
    public void start(long initialProgress) {
        update(initialProgress);
    }

    @Override
    public void end() {
        update(max);
    }

    @Override
    public void increment(long increment) {
        update(done + increment);
    }

    @Override
    public void update(long progress, String message) {
        done = Math.min(progress, max);
        draw();
    }

    private void draw() {
        if (!terminal) {
            return;
        }
        int percent = (int) (done * 100 / max);
        if (percent == shownPercent) {
            return;
        }
        shownPercent = percent;
        int filled = percent * BAR / 100;
        String line =
                String.format(
                        "%-14s %3d/%-3d %-30s [%s%s] %3d%%",
                        section,
                        cell,
                        cells,
                        label,
                        "#".repeat(filled),
                        " ".repeat(BAR - filled),
                        percent);
        if (line.length() > WIDTH) {
            line = line.substring(0, WIDTH);
        }
        out.print("\r" + line + " ".repeat(WIDTH - line.length()));
        out.flush();
    }
}

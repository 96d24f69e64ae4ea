package io.github.djlprecision.compat;

import ai.djl.Model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.pytorch.HostFacts;
import io.github.djlprecision.pytorch.JvmCrash;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugins;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs cells in a fresh JVM, so that a cell which terminates its process (DJL's JNI aborts on
 * bfloat16, see the PyTorch engine's bf16 guard) becomes a FAIL instead of ending the run. Cells
 * the engine refuses up front are answered here without a child: asking for the plugin allocates
 * nothing. The others run together in one child, which prints one JSON line per cell; when the
 * child dies, the cell it was running fails with the signal and native frame of HotSpot's fatal
 * error report, the report's path, the host's facts and its last output, and a new child takes the
 * cells left; a child that spends longer than its timeout on one cell is killed the same way.
 */
final class ChildJvmCells {

    /** Marks a result line in the child's output. */
    static final String MARKER = "@@compat-cell ";

    static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private static final int OUTPUT_LINES_KEPT = 6;

    /** Where children write HotSpot's fatal error reports, instead of the working directory. */
    static final Path ERROR_FILES = Path.of(System.getProperty("java.io.tmpdir"), "djl-precision-hs_err");

    private final CompatWorkload workload;
    private final GradScalerConfig gradScaler;
    private final String pluginName;
    private final boolean shortRun;
    private final long secondsPerCell;
    private final Map<MatrixCell, CellRun> done = new HashMap<>();

    ChildJvmCells(
            CompatWorkload workload,
            GradScalerConfig gradScaler,
            String pluginName,
            boolean shortRun,
            long secondsPerCell) {
        this.workload = workload;
        this.secondsPerCell = secondsPerCell;
        this.gradScaler = gradScaler;
        this.pluginName = pluginName;
        this.shortRun = shortRun;
    }

    /**
     * Checks that a workload can be rebuilt in a child JVM.
     *
     * @param workload the workload
     * @throws IllegalArgumentException if its class has no public constructor taking its name or
     *     nothing
     */
    static void checkRebuildable(CompatWorkload workload) {
        try {
            rebuild(workload.getClass().getName(), workload.name());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException(
                    "cells in a child JVM need a workload the child can rebuild: "
                            + workload.getClass().getName()
                            + " needs a public constructor taking its name ('"
                            + workload.name()
                            + "') or no argument",
                    e);
        }
    }

    static CompatWorkload rebuild(String className, String name)
            throws ReflectiveOperationException {
        Class<?> type = Class.forName(className);
        try {
            Constructor<?> named = type.getConstructor(String.class);
            return (CompatWorkload) named.newInstance(name);
        } catch (NoSuchMethodException e) {
            return (CompatWorkload) type.getConstructor().newInstance();
        }
    }

    /**
     * Returns a cell's run, running it (with every other cell of the batch not yet run) in a child
     * JVM unless the engine refuses it up front.
     *
     * @param cell the cell
     * @param mode training or inference
     * @param batch the cells to run in the same child, in order; should contain {@code cell}
     * @return the run
     */
    CellRun run(MatrixCell cell, CellMode mode, List<MatrixCell> batch) {
        if (!done.containsKey(cell)) {
            List<MatrixCell> pending = new ArrayList<>();
            for (MatrixCell other : batch.contains(cell) ? batch : List.of(cell)) {
                if (!done.containsKey(other)) {
                    String refusal = refusal(other, mode);
                    if (refusal != null) {
                        done.put(other, CellRun.refused(refusal));
                    } else {
                        pending.add(other);
                    }
                }
            }
            runInChildren(pending, mode);
        }
        return done.get(cell);
    }

    /** Asks the engine for the cell's plugin: a refusal comes before anything runs. */
    private String refusal(MatrixCell cell, CellMode mode) {
        try (Model model = workload.newModel(cell.engine(), cell.device())) {
            PrecisionPlugins.create(
                            new PluginRequest(
                                    cell.engine(),
                                    cell.device(),
                                    cell.variant().config(gradScaler, pluginName),
                                    mode == CellMode.TRAINING
                                            ? PluginRequest.Purpose.TRAINING
                                            : PluginRequest.Purpose.INFERENCE,
                                    model))
                    .close();
            return null;
        } catch (UnsupportedPrecisionException e) {
            return e.getMessage();
        }
    }

    private void runInChildren(List<MatrixCell> cells, CellMode mode) {
        Deque<MatrixCell> left = new ArrayDeque<>(cells);
        while (!left.isEmpty()) {
            runOneChild(left, mode);
        }
    }

    /**
     * Runs the cells left in one child; takes each answered cell, and the one it died on or ran
     * out of time in. The child's output is read on its own thread, so that the timeout fires
     * while a cell hangs.
     */
    private void runOneChild(Deque<MatrixCell> left, CellMode mode) {
        ChildOutput output = new ChildOutput();
        Process process;
        try {
            Files.createDirectories(ERROR_FILES);
            process = new ProcessBuilder(command(new ArrayList<>(left), mode)).redirectErrorStream(true).start();
        } catch (IOException e) {
            failAll(left, "could not start a child JVM: " + e.getMessage());
            return;
        }
        Thread reader = new Thread(() -> output.read(process.getInputStream()), "compat-child-output");
        reader.setDaemon(true);
        reader.start();
        boolean timedOut = false;
        try {
            int answered = 0;
            long deadline = System.nanoTime() + secondsPerCell * 1_000_000_000L;
            while (!process.waitFor(1, TimeUnit.SECONDS)) {
                if (output.answered() > answered) {
                    // each answered cell gives the next one its full time
                    answered = output.answered();
                    deadline = System.nanoTime() + secondsPerCell * 1_000_000_000L;
                } else if (System.nanoTime() > deadline) {
                    timedOut = true;
                    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                    break;
                }
            }
            reader.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            failAll(left, "interrupted while a child JVM ran");
            return;
        }
        for (CellRun run : output.runs()) {
            done.put(left.removeFirst(), run);
        }
        if (left.isEmpty()) {
            return;
        }
        String end;
        if (timedOut) {
            end = "it ran past its timeout of " + secondsPerCell + " s per cell and was killed";
        } else {
            JvmCrash crash =
                    JvmCrash.of(
                            process.exitValue(),
                            output.banner(),
                            ERROR_FILES.resolve("hs_err_pid" + process.pid() + ".log"));
            end = crash.describe() + (crash.signal() == null ? "" : "; host: " + HostFacts.read().describe());
        }
        done.put(
                left.removeFirst(),
                CellRun.failed(
                        "end of the child JVM running this cell: "
                                + end
                                + "; its last output: "
                                + String.join(" | ", output.tail()),
                        mode,
                        null,
                        List.of()));
    }

    /** What a child prints: its cells' runs, HotSpot's fatal error banner, and its last lines. */
    private static final class ChildOutput {

        private final List<CellRun> runs = new ArrayList<>();
        private final StringBuilder banner = new StringBuilder();
        private final Deque<String> tail = new ArrayDeque<>();

        void read(InputStream in) {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    take(line);
                }
            } catch (IOException e) {
                // the child was killed: what it printed so far is kept
            }
        }

        private synchronized void take(String line) {
            if (line.startsWith(MARKER)) {
                runs.add(GSON.fromJson(line.substring(MARKER.length()), CellRun.class));
                tail.clear();
                banner.setLength(0);
            } else if (line.startsWith("#")) {
                banner.append(line).append('\n');
            } else {
                tail.addLast(line);
                if (tail.size() > OUTPUT_LINES_KEPT) {
                    tail.removeFirst();
                }
            }
        }

        synchronized int answered() {
            return runs.size();
        }

        synchronized List<CellRun> runs() {
            return List.copyOf(runs);
        }

        synchronized String banner() {
            return banner.toString();
        }

        synchronized List<String> tail() {
            return List.copyOf(tail);
        }
    }

    private void failAll(Deque<MatrixCell> left, String reason) {
        for (MatrixCell cell : left) {
            done.put(cell, CellRun.failed(reason, null, null, List.of()));
        }
        left.clear();
    }

    private List<String> command(List<MatrixCell> cells, CellMode mode) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-XX:ErrorFile=" + ERROR_FILES.resolve("hs_err_pid%p.log"));
        System.getProperties()
                .stringPropertyNames()
                .forEach(
                        key -> {
                            if (key.startsWith("ai.djl.")
                                    || key.startsWith("djl.precision.")
                                    || key.startsWith("org.slf4j.")
                                    || key.equals("java.awt.headless")) {
                                command.add("-D" + key + "=" + System.getProperty(key));
                            }
                        });
        command.add(ChildJvmCellsMain.class.getName());
        ChildJvmCellsMain.Request request =
                new ChildJvmCellsMain.Request(
                        workload.getClass().getName(),
                        workload.name(),
                        pluginName,
                        shortRun,
                        mode,
                        gradScaler.getInitScale(),
                        gradScaler.getGrowthFactor(),
                        gradScaler.getBackoffFactor(),
                        gradScaler.getGrowthInterval(),
                        gradScaler.isFusedKernels(),
                        cells.stream().map(ChildJvmCellsMain.Cell::of).toList());
        command.add(GSON.toJson(request));
        return command;
    }
}

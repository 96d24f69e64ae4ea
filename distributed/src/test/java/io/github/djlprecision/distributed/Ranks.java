package io.github.djlprecision.distributed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Child JVMs started as the ranks of one run on the loopback interface, with the variables {@code
 * torchrun} sets. Each child's output is read on its own thread, so a child that fills its pipe
 * cannot block; a child that outlives the timeout is killed, and one killed by a signal says so.
 */
final class Ranks implements AutoCloseable {

    /** How one rank ended. */
    record Result(int rank, int exitCode, String output) {

        /** Returns the exit as a reader wants it: a code, or the signal that killed the JVM. */
        String describe() {
            String how =
                    exitCode > 128
                            ? "killed by signal " + (exitCode - 128)
                            : "exit code " + exitCode;
            return "rank " + rank + " (" + how + "):\n" + output;
        }
    }

    private final List<Process> processes = new ArrayList<>();
    private final List<ByteArrayOutputStream> outputs = new ArrayList<>();
    private final List<Thread> readers = new ArrayList<>();

    /**
     * Starts a main class as every rank of a run, with the launch variables torchrun sets.
     *
     * @param worldSize how many ranks
     * @param main the class, run with the given arguments
     * @param extraEnvironment more variables for every child
     * @param args its arguments
     */
    static Ranks start(
            int worldSize, Class<?> main, Map<String, String> extraEnvironment, String... args)
            throws IOException {
        Ranks ranks = new Ranks();
        int port = freePort();
        for (int rank = 0; rank < worldSize; rank++) {
            Map<String, String> env = new HashMap<>(extraEnvironment);
            env.put(LaunchEnvironment.RANK, Integer.toString(rank));
            env.put(LaunchEnvironment.LOCAL_RANK, Integer.toString(rank));
            env.put(LaunchEnvironment.WORLD_SIZE, Integer.toString(worldSize));
            env.put(LaunchEnvironment.MASTER_ADDR, "127.0.0.1");
            env.put(LaunchEnvironment.MASTER_PORT, Integer.toString(port));
            ranks.add(main, env, args);
        }
        return ranks;
    }

    /**
     * Starts a main class through the project's launcher, {@code bin/djlp-run}, as one child
     * whose output is every rank's.
     */
    static Ranks startLauncher(int processes, Class<?> main, String... args) throws IOException {
        Ranks ranks = new Ranks();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command =
                new ArrayList<>(
                        List.of(
                                "bash",
                                Path.of("..", "bin", "djlp-run").toString(),
                                "--nproc-per-node",
                                Integer.toString(processes),
                                "--master-port",
                                Integer.toString(freePort()),
                                java,
                                "-Xmx512m",
                                "-cp",
                                System.getProperty("java.class.path"),
                                main.getName()));
        command.addAll(List.of(args));
        ranks.launch(command, Map.of());
        return ranks;
    }

    /** Starts a main class as one process with no launch variables: a run of one process. */
    static Ranks startAlone(Class<?> main, String... args) throws IOException {
        Ranks ranks = new Ranks();
        ranks.add(main, Map.of(), args);
        return ranks;
    }

    private void add(Class<?> main, Map<String, String> variables, String... args)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command =
                new ArrayList<>(
                        List.of(
                                java,
                                "-Xmx512m",
                                "-cp",
                                System.getProperty("java.class.path"),
                                main.getName()));
        command.addAll(List.of(args));
        launch(command, variables);
    }

    private void launch(List<String> command, Map<String, String> variables) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        for (String name :
                List.of(
                        LaunchEnvironment.RANK,
                        LaunchEnvironment.LOCAL_RANK,
                        LaunchEnvironment.WORLD_SIZE,
                        LaunchEnvironment.MASTER_ADDR,
                        LaunchEnvironment.MASTER_PORT)) {
            env.remove(name);
        }
        env.put("DJL_OFFLINE", "true");
        env.put("OPT_OUT_TRACKING", "true");
        env.putAll(variables);
        Process process = builder.start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(process.getInputStream(), output));
        reader.setDaemon(true);
        reader.start();
        processes.add(process);
        outputs.add(output);
        readers.add(reader);
    }

    /** Returns what a rank printed so far. */
    String outputOf(int rank) {
        synchronized (outputs.get(rank)) {
            return outputs.get(rank).toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits until a rank printed a line, at most a number of seconds. */
    boolean awaitLine(int rank, String line, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (outputOf(rank).contains(line + System.lineSeparator())) {
                return true;
            }
            if (!processes.get(rank).isAlive()) {
                return outputOf(rank).contains(line);
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Kills a rank as SIGKILL does. */
    void kill(int rank) throws InterruptedException {
        processes.get(rank).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Waits for one rank, killing it after a number of seconds.
     *
     * @return how it ended; killed by the timeout, its exit code says which signal
     */
    Result await(int rank, int seconds) throws InterruptedException {
        Process process = processes.get(rank);
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        readers.get(rank).join(10_000);
        return new Result(rank, process.exitValue(), outputOf(rank));
    }

    /** Waits for every rank within one shared number of seconds. */
    List<Result> awaitAll(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Result> results = new ArrayList<>();
        for (int rank = 0; rank < processes.size(); rank++) {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
            results.add(await(rank, (int) left));
        }
        return results;
    }

    @Override
    public void close() {
        for (Process process : processes) {
            process.destroyForcibly();
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

package io.github.djlprecision.pytorch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a fresh JVM, for cases that would take the test JVM down with them. The
 * child's output is read on its own thread, so that the timeout fires even when the child hangs
 * with its output open.
 */
final class ChildJvm {

    /**
     * How a child run ended.
     *
     * @param exitCode the child's exit status
     * @param output what it printed; after a non-zero exit followed by how it ended (signal,
     *     problematic frame, fatal error report) and the host's facts
     */
    record Result(int exitCode, String output) {}

    private ChildJvm() {}

    static Result run(Class<?> main, String... args) throws IOException, InterruptedException {
        return run(120, main, args);
    }

    /**
     * Runs a main class in a fresh JVM, waiting at most a number of seconds.
     *
     * @param timeoutSeconds how long the child may run
     * @param main the class
     * @param args its arguments
     * @return how it ended
     * @throws IllegalStateException when the child ran past the timeout (it is killed first),
     *     with what it printed
     */
    static Result run(int timeoutSeconds, Class<?> main, String... args)
            throws IOException, InterruptedException {
        return run(timeoutSeconds, List.of(), main, args);
    }

    /**
     * Runs a main class in a fresh JVM with JVM options, e.g. system properties.
     *
     * @param timeoutSeconds how long the child may run
     * @param jvmOptions options before the class name, e.g. {@code -Dname=value}
     * @param main the class
     * @param args its arguments
     * @return how it ended
     * @throws IllegalStateException when the child ran past the timeout (it is killed first),
     *     with what it printed
     */
    static Result run(int timeoutSeconds, List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        Path errors = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "djl-precision-child-jvm"));
        command.add("-XX:ErrorFile=" + errors.resolve("hs_err_pid%p.log"));
        command.addAll(jvmOptions);
        command.add(main.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DJL_OFFLINE", "true");
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process process = builder.start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(process.getInputStream(), output), "child-output");
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(TimeUnit.SECONDS.toMillis(5));
            throw new IllegalStateException(
                    "child JVM "
                            + main.getName()
                            + " ran past its timeout of "
                            + timeoutSeconds
                            + " s and was killed; it printed:\n"
                            + text(output));
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        int status = process.exitValue();
        String printed = text(output);
        if (status != 0) {
            JvmCrash crash = JvmCrash.of(status, printed, errors.resolve("hs_err_pid" + process.pid() + ".log"));
            printed += "\nchild JVM " + main.getName() + " ended: " + crash.describe() + "\nhost: " + HostFacts.read().describe();
        }
        return new Result(status, printed);
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[8192];
        try (in) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // the child was killed: what it printed so far is kept
        }
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}

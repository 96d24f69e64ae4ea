package io.github.djlprecision.pytorch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class in a fresh JVM, for cases that would take the test JVM down with them. */
final class ChildJvm {

    /** How a child run ended. */
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
     */
    static Result run(int timeoutSeconds, Class<?> main, String... args)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command =
                new java.util.ArrayList<>(
                        List.of(java, "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DJL_OFFLINE", "true");
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("child JVM did not finish: " + main.getName());
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}

package io.github.djlprecision.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When TensorFlow's bfloat16 rewrite does not happen, the plugin says so instead of claiming bf16.
 * {@code TF_ENABLE_ONEDNN_OPTS=0} switches oneDNN, and with it the rewrite, off; the plugin leaves a
 * value the user set alone. TensorFlow reads it once per process, hence a child JVM.
 */
class RewriteNotInEffectTest {

    @TempDir Path tmp;

    @Test
    void rewriteSwitchedOffIsReportedNotClaimed() throws Exception {
        Map<String, String> result = runProbe(Map.of(TensorFlowLoadOptions.ONEDNN_OPTS, "0"));
        assertEquals("0", result.get("bf16ExactNonzeroOutputs"), "outputs stayed float32: " + result);
        assertTrue(
                result.get("strict").startsWith("Requested bf16-mixed but 32-true is in effect"),
                result.get("strict"));
        assertTrue(result.get("strict").contains("TF_ENABLE_ONEDNN_OPTS=0"), result.get("strict"));
        assertEquals("32-true", result.get("inEffect"));
        assertEquals("false", result.get("asRequested"));
        assertTrue(result.get("path").startsWith("tensorflow 32-true on "), result.get("path"));
    }

    @Test
    void controlRunWithTheSwitchUnsetGetsBf16() throws Exception {
        Map<String, String> result = runProbe(Map.of());
        assertTrue(Integer.parseInt(result.get("bf16ExactNonzeroOutputs")) > 0, result.toString());
        assertEquals("no exception", result.get("strict"));
        assertEquals("bf16-mixed", result.get("inEffect"));
        assertEquals("true", result.get("asRequested"));
    }

    private Map<String, String> runProbe(Map<String, String> extraEnv)
            throws IOException, InterruptedException {
        ProcessBuilder builder =
                new ProcessBuilder(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                "-Dai.djl.offline=true",
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                Bf16RewriteProbe.class.getName(),
                                tmp.resolve("model").toString()));
        // the child inherits surefire's environment (DJL_OFFLINE, TENSORFLOW_LIBRARY_PATH, ...)
        builder.environment().remove(TensorFlowLoadOptions.ONEDNN_OPTS);
        builder.environment().putAll(extraEnv);
        Path log = Files.createTempFile(tmp, "child", ".log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        Process process = builder.start();
        try {
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        } finally {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), output);
        Map<String, String> result = new HashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT ")) {
                int eq = line.indexOf('=');
                result.put(line.substring("RESULT ".length(), eq), line.substring(eq + 1));
            }
        }
        return result;
    }
}

package io.github.djlprecision.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The process-group side as {@code bench/device/process-group-session.sh} runs it on a GPU, here on
 * the CPU at tiny sizes: two ranks started by {@code bin/djlp-run}, each with its own seed (weights
 * and data), must report one averaged update (the same weights sum) and the same step counts.
 */
class ProcessGroupSideTest {

    @Test
    void twoRanksTrainAsOneReplica() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command =
                List.of(
                        "bash",
                        Path.of("..", "bin", "djlp-run").toString(),
                        "--nproc-per-node",
                        "2",
                        "--master-port",
                        Integer.toString(port),
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        GpuTrainBench.class.getName(),
                        "--model",
                        "mlp",
                        "--side",
                        "library-process-group",
                        "--precision",
                        "16-mixed",
                        "--device",
                        "cpu",
                        "--tiny",
                        "--steps",
                        "2",
                        "--warmup",
                        "1",
                        "--seed",
                        "42");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DJL_OFFLINE", "true");
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process process = builder.start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(process.getInputStream(), output));
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(240, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        reader.join(10_000);
        String out;
        synchronized (output) {
            out = output.toString(StandardCharsets.UTF_8);
        }
        int code = process.exitValue();
        assertEquals(
                0, code, (code > 128 ? "killed by signal " + (code - 128) : "exit " + code) + out);
        List<JsonObject> results = new ArrayList<>();
        for (String line : out.split("\\R")) {
            if (line.startsWith(ResultLine.PREFIX)) {
                results.add(
                        new Gson()
                                .fromJson(
                                        line.substring(ResultLine.PREFIX.length()),
                                        JsonObject.class));
            }
        }
        assertEquals(2, results.size(), out);
        JsonObject first = results.get(0);
        JsonObject second = results.get(1);
        assertEquals("OK", first.get("status").getAsString(), out);
        assertEquals("OK", second.get("status").getAsString(), out);
        assertTrue(first.get("rank").getAsInt() != second.get("rank").getAsInt(), out);
        assertEquals(first.get("steps_total"), second.get("steps_total"), out);
        assertEquals(first.get("weights_sum"), second.get("weights_sum"), out);
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
            // the child ended
        }
    }
}

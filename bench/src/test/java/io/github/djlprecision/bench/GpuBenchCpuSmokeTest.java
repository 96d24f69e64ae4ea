package io.github.djlprecision.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GPU benchmark mains at tiny sizes on the CPU, in this JVM: every side trains and reports its
 * figures, every inference path reports latencies and its distance from fp32, and what cannot run
 * ends in a FAILED result naming the reason instead of an exception. Nothing is timed here;
 * ResNet-50 is left to the documented smoke command (bench/README.md), as it takes a minute on this
 * machine's CPU.
 */
class GpuBenchCpuSmokeTest {

    private static ResultLine train(String model, String side, String precision, String... more) {
        List<String> args =
                new java.util.ArrayList<>(
                        List.of(
                                "--model",
                                model,
                                "--side",
                                side,
                                "--precision",
                                precision,
                                "--device",
                                "cpu",
                                "--tiny",
                                "--steps",
                                "2",
                                "--warmup",
                                "1"));
        args.addAll(List.of(more));
        return GpuTrainBench.run(args.toArray(String[]::new));
    }

    private static void assertTrained(ResultLine result) {
        assertTrue(result.ok(), () -> "failed: " + result.get("error"));
        assertTrue(((Number) result.get("ms_per_step")).doubleValue() > 0);
        assertTrue(((Number) result.get("samples_per_s")).doubleValue() > 0);
        assertTrue(Float.isFinite(((Number) result.get("final_loss")).floatValue()));
    }

    @Test
    void everySideTrainsTheMlp() {
        ResultLine library = train("mlp", "library", "16-mixed");
        assertTrained(library);
        assertEquals(3L, library.get("steps_total"));
        assertTrue(((String) library.get("path")).contains("autocast"));
        assertTrained(train("mlp", "library", "16-mixed", "--amp-level", "O2"));
        assertTrained(train("mlp", "plain", "32-true"));
        assertTrained(train("mlp", "plain-autocast", "16-mixed"));
        assertTrained(train("mlp", "plain-autocast", "bf16-mixed"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSeededRunReportsTheSameLossTrajectoryTwice() {
        ResultLine first = train("mlp", "library", "16-mixed", "--losses", "--seed", "42");
        ResultLine second = train("mlp", "library", "16-mixed", "--losses", "--seed", "42");
        assertTrained(first);
        List<Number> losses = (List<Number>) first.get("losses");
        assertEquals(3, losses.size(), "warm-up and timed steps");
        assertEquals(losses, second.get("losses"));
        assertEquals(losses.get(2).floatValue(), ((Number) first.get("final_loss")).floatValue());
    }

    @Test
    void bertTrainsThroughTheLibraryAndPlainDjl() {
        assertTrained(train("bert", "library", "32-true"));
        assertTrained(train("bert", "library", "16-mixed"));
        assertTrained(train("bert", "plain-autocast", "16-mixed"));
    }

    @Test
    void refusalsAndBadOptionsEndInFailedResults() {
        // DJL's BertBlock builds an fp32 attention mask in its forward: refused up front in 16-true
        ResultLine half = train("bert", "library", "16-true");
        assertFalse(half.ok());
        assertTrue(((String) half.get("error")).contains("UnsupportedPrecisionException"));
        ResultLine plainHalf = train("mlp", "plain", "16-mixed");
        assertFalse(plainHalf.ok());
        assertTrue(((String) plainHalf.get("error")).contains("32-true"));
        ResultLine unknown = train("vgg", "library", "32-true");
        assertTrue(((String) unknown.get("error")).contains("mlp, resnet50, bert"));
        ResultLine twoCpus = train("mlp", "library", "16-mixed", "--gpus", "2");
        assertTrue(((String) twoCpus.get("error")).contains("--device gpu"));
        ResultLine badOption = GpuTrainBench.run("--model", "mlp", "--side", "plain", "--bogus");
        assertFalse(badOption.ok());
        ResultLine badPath =
                GpuInferBench.run("--model", "mlp", "--path", "int8", "--device", "cpu");
        assertTrue(((String) badPath.get("error")).contains("fp32, 16-mixed-fp32-weights, 16-mixed, 16-true, bf16-mixed"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void inferencePathsReportLatenciesAndTheirDistanceFromFp32() {
        for (String model : List.of("mlp", "bert")) {
            for (String path : List.of("fp32", "16-mixed")) {
                ResultLine result =
                        GpuInferBench.run(
                                "--model",
                                model,
                                "--path",
                                path,
                                "--device",
                                "cpu",
                                "--tiny",
                                "--batches",
                                "1,2",
                                "--iters",
                                "3",
                                "--warmup",
                                "1");
                assertTrue(result.ok(), () -> "failed: " + result.get("error"));
                List<Map<String, Object>> rows = (List<Map<String, Object>>) result.get("batches");
                assertEquals(2, rows.size());
                for (Map<String, Object> row : rows) {
                    double median = ((Number) row.get("median_ms")).doubleValue();
                    double p99 = ((Number) row.get("p99_ms")).doubleValue();
                    assertTrue(median > 0 && p99 >= median);
                    double diff = ((Number) row.get("max_abs_diff")).doubleValue();
                    double ref = ((Number) row.get("max_abs_ref")).doubleValue();
                    if (path.equals("fp32")) {
                        assertEquals(0.0, diff);
                    } else {
                        // fp16 compute: close to fp32, but not bit-equal
                        assertTrue(diff > 0 && diff < 0.05 * ref, () -> diff + " vs " + ref);
                    }
                }
            }
        }
    }
}

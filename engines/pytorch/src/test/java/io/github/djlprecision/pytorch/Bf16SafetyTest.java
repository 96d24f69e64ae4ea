package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * bf16 through DJL can terminate the process; these run in child JVMs and read how they ended.
 * Every block {@link BlockPolicy} lets run under bf16 trains here one step in bf16-mixed; every
 * other block, DJL's or a user's, trains as an fp32 island, and the JVM exits normally.
 */
class Bf16SafetyTest {

    /** Cases that must run as islands under bf16 on CPU, with the island the path names. */
    private static final Map<String, String> ISLANDS = new LinkedHashMap<>();

    static {
        // oneDNN has no bf16 LSTM on CPUs without native bf16 ("could not create a primitive")
        ISLANDS.put("LSTM", "fp32 islands: 01LSTM)");
        // softmax on bf16 attention scores: DJL hands UNKNOWN to native code (measured: abort)
        ISLANDS.put(
                "ScaledDotProductAttentionBlock",
                "fp32 islands: 01ScaledDotProductAttentionBlock)");
        ISLANDS.put("TransformerEncoderBlock", "fp32 islands: 01TransformerEncoderBlock)");
        // Activation::relu written in the test: a user lambda, whatever it calls
        ISLANDS.put(
                "PointwiseFeedForwardBlock",
                "fp32 islands: 01PointwiseFeedForwardBlock/02LambdaBlock)");
    }

    @Test
    void everyBuiltInBlockTrainsUnderBf16AsItIsOrAsAnIsland() throws Exception {
        ChildJvm.Result result =
                ChildJvm.run(
                        ArchitectureProbe.class,
                        "bf16-mixed",
                        "activations",
                        "shapes",
                        "pools",
                        "layers",
                        "recurrent",
                        "transformer");
        assertRanEveryCase(
                result, "activations", "shapes", "pools", "layers", "recurrent", "transformer");
    }

    @Test
    void everyModelZooArchitectureTrainsUnderBf16WithoutIslands() throws Exception {
        ChildJvm.Result result = ChildJvm.run(300, ArchitectureProbe.class, "bf16-mixed", "zoo");
        assertRanEveryCase(result, "zoo");
    }

    @Test
    void userBlocksThatCallSoftmaxTrainAsFp32IslandsWhateverTheirNames() throws Exception {
        ChildJvm.Result result = ChildJvm.run(ChildJvmScenarios.class, "bf16-user-blocks");
        String out = result.output();
        assertEquals(0, result.exitCode(), out);
        assertFalse(out.contains("terminate called"), out);
        assertTrained(out, "lambda-named-ReLU", "fp32 islands: 02LambdaBlock)", true);
        assertTrained(out, "singleton-named-batchFlatten", "fp32 islands: 02LambdaBlock)", true);
        assertTrained(out, "AbstractBlock-subclass", "fp32 islands: 02SoftmaxBlock)", true);
        assertTrained(out, "Linear-subclass", "fp32 islands: 01SoftmaxLinear)", true);
        // nothing above it to wrap: the whole forward runs with autocast off, in fp32
        assertTrained(
                out, "user-block-as-model", "fp32 islands: the whole model (SoftmaxBlock))", false);
        // inside the island: fp32 input, fp32 matmul (autocast off); after it, Linear in bf16
        assertTrained(out, "recorder", "fp32 islands: 02LambdaBlock)", true);
        String seen = out.lines().filter(l -> l.startsWith("SEEN ")).findFirst().orElseThrow();
        // once while DJL initialises the model, then on each of 3 steps and the evaluation
        assertEquals(5, seen.split("input float32, matMul float32", -1).length - 1, seen);
        assertFalse(seen.contains("unknown") || seen.contains("float16"), seen);
        assertTrained(out, "verified-only", "native-autocast(cpu, bfloat16) |", true);
        assertTrue(
                out.contains(
                        "PREDICTED inference-lambda-named-ReLU | native-autocast(cpu, bfloat16;"
                                + " fp32 islands: 02LambdaBlock) | float32 finite=true"),
                out);
    }

    /** The path without the optimizer the trainer chose (SGD runs fused), which is not tested here. */
    private static String withoutOptimizer(String line) {
        return line.replace("; optimizer: fused-sgd", "");
    }

    private static void assertTrained(String out, String name, String path, boolean bf16Output) {
        String line =
                withoutOptimizer(
                        out.lines()
                                .filter(l -> l.startsWith("TRAINED " + name + " |"))
                                .findFirst()
                                .orElseThrow(
                                        () -> new AssertionError(name + " did not train:\n" + out)));
        assertTrue(line.contains(path), line);
        assertTrue(line.contains("changed=true finite=true"), line);
        assertTrue(line.endsWith("bf16-exact-output=" + bf16Output), line);
    }

    private static void assertRanEveryCase(ChildJvm.Result result, String... groups) {
        String out = result.output();
        assertEquals(0, result.exitCode(), out);
        assertFalse(out.contains("terminate called"), out);
        assertTrue(out.contains("DONE"), out);
        for (BuiltInBlocks.Case c : BuiltInBlocks.of(groups)) {
            String line =
                    withoutOptimizer(
                            out.lines()
                                    .filter(l -> l.startsWith("OK " + c.name() + " |"))
                                    .findFirst()
                                    .orElseThrow(
                                            () -> new AssertionError(c.name() + " failed:\n" + out)));
            String island = ISLANDS.get(c.name());
            if (island == null) {
                assertTrue(line.contains("native-autocast(cpu, bfloat16)"), line);
                assertFalse(line.contains("fp32 islands"), line);
            } else {
                assertTrue(line.contains(island), line);
            }
        }
    }
}

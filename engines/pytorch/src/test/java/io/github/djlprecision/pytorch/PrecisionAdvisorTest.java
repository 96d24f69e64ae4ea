package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The precision advice on recorded machines: two CPUs this project ran on ({@code /proc/cpuinfo}
 * of an AMD EPYC with AVX512_BF16, and the flags the committed compatibility report records for
 * an AVX2-only one) and the compute capabilities of NVIDIA's generations (Pascal 6.1, Volta 7.0,
 * Turing 7.5, Ampere 8.0, Hopper 9.0).
 */
class PrecisionAdvisorTest {

    private static String cpuinfo(String name) throws IOException {
        try (InputStream in = PrecisionAdvisorTest.class.getResourceAsStream("/cpuinfo/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static MachineFacts cpu(String name) throws IOException {
        String text = cpuinfo(name);
        return new MachineFacts(
                MachineFacts.cpuModel(text), MachineFacts.cpuFlags(text), List.of());
    }

    private static MachineFacts gpus(Integer... capabilities) throws IOException {
        MachineFacts host = cpu("epyc-avx512-bf16.txt");
        return new MachineFacts(host.cpuModel(), host.cpuFlags(), List.of(capabilities));
    }

    @Test
    void cpuinfoIsParsed() throws IOException {
        String text = cpuinfo("epyc-avx512-bf16.txt");
        assertEquals("AMD EPYC", MachineFacts.cpuModel(text));
        Set<String> flags = MachineFacts.cpuFlags(text);
        assertTrue(flags.containsAll(Set.of("avx2", "avx512f", "avx512_bf16")), flags.toString());
        assertFalse(flags.contains("amx_bf16"));
        assertEquals(Set.of(), MachineFacts.cpuFlags("processor : 0\n"));
        assertEquals("unknown", MachineFacts.cpuModel(""));
    }

    @Test
    void cpuWithAvx512Bf16GetsBf16MixedAndIsWarnedOffFp16() throws IOException {
        PrecisionAdvisor.Advice advice = PrecisionAdvisor.advise(cpu("epyc-avx512-bf16.txt"));
        assertEquals("bf16-mixed", advice.precision());
        assertEquals("cpu (AMD EPYC)", advice.device());
        assertTrue(advice.reasons().get(0).contains("AVX512_BF16"), advice.reasons().toString());
        assertTrue(advice.alternatives().get(0).startsWith("not 16-mixed"), advice.toString());
    }

    @Test
    void cpuWithoutBf16Or16BitHardwareGets32True() throws IOException {
        MachineFacts avx2 = cpu("epyc-avx2.txt");
        assertFalse(avx2.cpuHasBfloat16());
        assertFalse(avx2.cpuHasFloat16());
        assertEquals("32-true", PrecisionAdvisor.advise(avx2).precision());
    }

    @Test
    void cpuWithAmxUsesItsBf16AndNamesFp16AsAnAlternative() {
        // flags as Linux names them on a CPU with AMX (Sapphire Rapids has these among others)
        MachineFacts amx = new MachineFacts(
                "synthetic", Set.of("avx512f", "amx_tile", "amx_bf16", "avx512_fp16"), List.of());
        PrecisionAdvisor.Advice advice = PrecisionAdvisor.advise(amx);
        assertEquals("bf16-mixed", advice.precision());
        assertTrue(advice.reasons().get(0).contains("AMX-BF16"), advice.reasons().toString());
        assertTrue(advice.alternatives().get(0).startsWith("16-mixed"), advice.toString());
        MachineFacts fp16Only = new MachineFacts("synthetic", Set.of("avx512_fp16"), List.of());
        assertEquals("16-mixed", PrecisionAdvisor.advise(fp16Only).precision());
    }

    @Test
    void gpuGenerationsDecide() throws IOException {
        assertEquals("32-true", PrecisionAdvisor.advise(gpus(61)).precision());
        assertEquals("16-mixed", PrecisionAdvisor.advise(gpus(70)).precision());
        assertEquals("16-mixed", PrecisionAdvisor.advise(gpus(75)).precision());
        assertEquals("bf16-mixed", PrecisionAdvisor.advise(gpus(80)).precision());
        PrecisionAdvisor.Advice hopper = PrecisionAdvisor.advise(gpus(90));
        assertEquals("bf16-mixed", hopper.precision());
        assertEquals("gpu (compute capability 9.0)", hopper.device());
        assertTrue(hopper.alternatives().get(0).startsWith("16-mixed"), hopper.toString());
    }

    @Test
    void theLowestGpuDecidesForSeveral() throws IOException {
        PrecisionAdvisor.Advice mixed = PrecisionAdvisor.advise(gpus(90, 75));
        assertEquals("16-mixed", mixed.precision());
        assertEquals("2 gpus (lowest compute capability 7.5)", mixed.device());
    }

    @Test
    void theCommandPrintsTheAdviceAndRefusesArguments() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(0, RecommendPrecision.run(new String[0], gpus(75), out));
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("PrecisionConfig.of(\"16-mixed\")"), printed);
        assertTrue(printed.contains("docs/choosing-a-precision.md"), printed);

        bytes.reset();
        assertEquals(2, RecommendPrecision.run(new String[] {"--gpu"}, gpus(75), out));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("takes no arguments"));
    }

    @Test
    void thisMachineIsRead() {
        MachineFacts here = MachineFacts.detect();
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertFalse(here.cpuFlags().isEmpty(), "no flags read from /proc/cpuinfo");
        }
        assertTrue(Set.of("bf16-mixed", "16-mixed", "32-true")
                .contains(PrecisionAdvisor.advise(here).precision()));
    }
}

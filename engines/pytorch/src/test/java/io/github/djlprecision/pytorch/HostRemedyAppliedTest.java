package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The host remedy itself, exercised on any host by forcing it: LibTorch's switches take effect,
 * convolutions still train in fp32 and bf16-mixed, and the plugin's path says what was done. Each
 * case runs in a child JVM, since the switches are process-wide.
 */
class HostRemedyAppliedTest {

    private static final String FORCED = "; oneDNN and NNPACK off (forced)";

    @Test
    void libTorchSwitchesReadBackWhatWasSet() {
        LibTorchBackends backends = LibTorchBackends.load();
        boolean mkldnn = backends.isMkldnnEnabled();
        boolean nnpack = backends.isNnpackEnabled();
        try {
            backends.setMkldnnEnabled(false);
            backends.setNnpackEnabled(false);
            assertFalse(backends.isMkldnnEnabled());
            assertFalse(backends.isNnpackEnabled());
            backends.setMkldnnEnabled(true);
            assertTrue(backends.isMkldnnEnabled());
        } finally {
            backends.setMkldnnEnabled(mkldnn);
            backends.setNnpackEnabled(nnpack);
        }
    }

    @Test
    void forcedRemedySwitchesOffAndConvolutionsTrainInEveryPrecision() throws Exception {
        ChildJvm.Result result =
                ChildJvm.run(
                        300,
                        List.of("-D" + HostRemedy.PROPERTY + "=on"),
                        HostRemedyProbe.class,
                        "32-true",
                        "bf16-mixed",
                        "16-mixed");
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("mkldnn=false nnpack=false"), result.output());
        assertEquals(1, count(result.output(), "LibTorch runs with oneDNN and NNPACK off"), result.output());
        for (String precision : List.of("32-true", "bf16-mixed", "16-mixed")) {
            assertTrue(
                    Pattern.compile("OK " + precision + " .*" + Pattern.quote(FORCED) + "$", Pattern.MULTILINE)
                            .matcher(result.output())
                            .find(),
                    result.output());
        }
        assertFalse(result.output().contains("NNPACK!"), result.output());
    }

    @Test
    void onANormalHostNothingIsSwitchedOff() throws Exception {
        HostFacts facts = HostFacts.read();
        HostRemedy needed = HostRemedy.decide(facts, HostRemedy.Setting.AUTO);
        ChildJvm.Result result =
                ChildJvm.run(
                        300,
                        List.of("-D" + HostRemedy.PROPERTY + "=auto"),
                        HostRemedyProbe.class,
                        "32-true");
        assertEquals(0, result.exitCode(), result.output());
        if (needed.applies()) {
            // this host is one that needs the remedy: the guard must have applied it
            assertTrue(result.output().contains("LibTorch runs with " + needed.switches()), result.output());
        } else {
            assertTrue(result.output().contains("mkldnn=true nnpack=true"), result.output());
            assertFalse(result.output().contains(" off ("), result.output());
            assertFalse(result.output().contains("LibTorch runs with"), result.output());
        }
    }

    @Test
    void offKeepsOneDnnOnWhateverTheHost() throws Exception {
        ChildJvm.Result result =
                ChildJvm.run(
                        300,
                        List.of("-D" + HostRemedy.PROPERTY + "=off"),
                        HostRemedyProbe.class,
                        "inference");
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("mkldnn=true nnpack=true"), result.output());
    }

    private static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}

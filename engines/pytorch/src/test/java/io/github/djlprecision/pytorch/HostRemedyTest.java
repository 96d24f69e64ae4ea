package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlprecision.pytorch.HostRemedy.Setting;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The host remedy's decision, on recorded facts of hosts seen, whatever host runs the test. */
class HostRemedyTest {

    private static final Set<String> EPYC_FLAGS =
            Set.of(
                    "sse2", "fma", "avx", "avx2", "avx512f", "avx512dq", "avx512cd", "avx512bw",
                    "avx512vl", "avx512_bf16", "avx512_vnni", "avx512ifma", "avx512vbmi");

    /** The 2-core AMD EPYC VM the suite is built on: its caches are visible. */
    static final HostFacts NORMAL_EPYC =
            new HostFacts(
                    "AMD EPYC", EPYC_FLAGS, List.of("L1d 32K", "L1i 32K", "L2 1024K", "L3 32768K"));

    /**
     * A VM of the same kind that hid its cache topology (no /sys/devices/system/cpu/cpu0/cache/,
     * lscpu without cache lines): oneDNN's convolution backward died there with SIGFPE.
     */
    static final HostFacts CACHELESS_EPYC = new HostFacts("AMD EPYC", EPYC_FLAGS, List.of());

    @Test
    void aHostThatShowsItsCachesKeepsOneDnnAndNnpack() {
        HostRemedy remedy = HostRemedy.decide(NORMAL_EPYC, Setting.AUTO);
        assertFalse(remedy.applies());
        assertEquals("", remedy.switches());
    }

    @Test
    void aHostThatHidesItsCachesSwitchesOneDnnAndNnpackOff() {
        HostRemedy remedy = HostRemedy.decide(CACHELESS_EPYC, Setting.AUTO);
        assertTrue(remedy.mkldnnOff());
        assertTrue(remedy.nnpackOff());
        assertEquals("oneDNN and NNPACK off", remedy.switches());
        assertEquals("no CPU cache topology", remedy.cause());
        assertTrue(remedy.reason().contains("SIGFPE"), remedy.reason());
    }

    @Test
    void offKeepsEverythingEvenWhereTheHostHidesItsCaches() {
        assertFalse(HostRemedy.decide(CACHELESS_EPYC, Setting.OFF).applies());
    }

    @Test
    void onSwitchesBothOffOnANormalHost() {
        HostRemedy remedy = HostRemedy.decide(NORMAL_EPYC, Setting.ON);
        assertTrue(remedy.mkldnnOff() && remedy.nnpackOff());
        assertEquals("forced", remedy.cause());
    }

    @Test
    void anX86CpuWithoutAvx2OrFmaSwitchesOnlyNnpackOff() {
        HostFacts old = new HostFacts("Old Xeon", Set.of("sse2", "avx"), NORMAL_EPYC.caches());
        HostRemedy remedy = HostRemedy.decide(old, Setting.AUTO);
        assertFalse(remedy.mkldnnOff());
        assertTrue(remedy.nnpackOff());
    }

    @Test
    void settingIsParsedInAnyCaseAndBlankMeansAuto() {
        assertEquals(Setting.ON, Setting.parse(" On ", HostRemedy.PROPERTY));
        assertEquals(Setting.OFF, Setting.parse("off", HostRemedy.PROPERTY));
        assertEquals(Setting.AUTO, Setting.parse(null, HostRemedy.ENV));
        assertEquals(Setting.AUTO, Setting.parse("", HostRemedy.ENV));
    }

    @Test
    void aWrongSettingNamesItselfAndTheAcceptedValues() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Setting.parse("true", HostRemedy.PROPERTY));
        assertEquals(
                "djl.precision.pytorch.hostRemedy=true is not a host remedy setting; use auto, on"
                        + " or off.",
                e.getMessage());
    }

    @Test
    void thisHostsFactsAreDescribedEitherWay() {
        HostFacts facts = HostFacts.read();
        String described = facts.describe();
        assertTrue(described.startsWith("CPU "), described);
        assertEquals(!facts.showsCacheTopology(), described.contains("caches: none shown"), described);
    }
}

package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The test's child JVMs: a hung child is ended by its timeout, a dead one says how it died. */
class ChildJvmTest {

    @Test
    void aHungChildIsKilledAtItsTimeout() {
        long start = System.nanoTime();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> ChildJvm.run(3, Misbehaving.class, "hang"));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(e.getMessage().contains("ran past its timeout of 3 s"), e.getMessage());
        assertTrue(e.getMessage().contains("hanging"), e.getMessage());
        assertTrue(seconds < 60, "took " + seconds + " s");
    }

    @Test
    void aChildKilledBySigfpeNamesTheSignalTheFrameAndTheReport() throws Exception {
        ChildJvm.Result result = ChildJvm.run(60, Misbehaving.class, "sigfpe");
        assertEquals(134, result.exitCode(), result.output());
        String ended = result.output().substring(result.output().lastIndexOf("ended: "));
        assertTrue(ended.startsWith("ended: SIGFPE (0x8) in C  ["), ended);
        assertTrue(ended.contains("; exit status 134; fatal error report "), ended);
        assertTrue(ended.contains("\nhost: CPU "), ended);
        Path report = Path.of(ended.replaceAll("(?s).*fatal error report (\\S+).*", "$1"));
        assertTrue(Files.isRegularFile(report), report.toString());
        Files.delete(report);
    }

    @Test
    void crashWithoutAReportIsNamedFromTheExitStatus() {
        assertEquals(
                "SIGKILL (from the exit status); exit status 137",
                JvmCrash.of(137, "", null).describe());
        assertEquals(
                "SIGABRT (from the exit status); exit status 134 (an abort, or a JVM fatal error"
                        + " whose report is missing)",
                JvmCrash.of(134, "last line", null).describe());
        assertEquals("exit status 1", JvmCrash.of(1, "", null).describe());
    }

    @Test
    void hotSpotsBannerGivesSignalAndFrame() {
        String banner =
                String.join(
                        "\n",
                        List.of(
                                "#",
                                "# A fatal error has been detected by the Java Runtime Environment:",
                                "#",
                                "#  SIGFPE (0x8) at pc=0x00007f7c9e4a0a92, pid=4242, tid=4243",
                                "# Problematic frame:",
                                "# C  [libtorch_cpu.so+0x11630a92]  dnnl::impl::cpu::x64::"
                                        + "brgemm_convolution_bwd_utils::brg_blocking_t::est_eff_1x1()+0xae2",
                                "#"));
        JvmCrash crash = JvmCrash.of(134, banner, Path.of("/nonexistent/hs_err_pid4242.log"));
        assertEquals("SIGFPE (0x8)", crash.signal());
        assertTrue(crash.frame().endsWith("brg_blocking_t::est_eff_1x1()+0xae2"), crash.frame());
        assertEquals(null, crash.errorFile());
    }

    /** Child-JVM entry that hangs or kills itself with a real SIGFPE. */
    public static final class Misbehaving {

        private Misbehaving() {}

        /**
         * Misbehaves.
         *
         * @param args {@code hang} or {@code sigfpe}
         * @throws Exception never in practice
         */
        public static void main(String[] args) throws Exception {
            if (args[0].equals("sigfpe")) {
                String pid = Long.toString(ProcessHandle.current().pid());
                new ProcessBuilder("kill", "-FPE", pid).inheritIO().start().waitFor();
            } else {
                System.out.println("hanging");
                System.out.flush();
            }
            Thread.sleep(600_000);
        }
    }
}

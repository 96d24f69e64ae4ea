package io.github.djlprecision.pytorch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a JVM process ended, read from its exit status and HotSpot's fatal error report (the
 * {@code hs_err_pid<pid>.log} file, or the banner the JVM prints before dying). HotSpot exits with
 * status 134 after any fatal signal (SIGFPE, SIGSEGV as well as SIGABRT), so the signal and the
 * problematic native frame come from the report, not from the status.
 *
 * @param exitStatus the process's exit status
 * @param signal the signal, e.g. {@code "SIGFPE (0x8)"}; null if none is known
 * @param frame the problematic frame, e.g. {@code "C  [libtorch_cpu.so+0x11630a92]
 *     dnnl::...est_eff_1x1()+0xae2"}; null if no report names one
 * @param errorFile the fatal error report, or null if none was written
 */
public record JvmCrash(int exitStatus, String signal, String frame, Path errorFile) {

    private static final Pattern SIGNAL = Pattern.compile("^#\\s+(SIG[A-Z]+ \\(0x[0-9a-fA-F]+\\))");
    private static final String FRAME = "# Problematic frame:";
    private static final String SAVED_AS = "# An error report file with more information is saved as:";
    private static final Map<Integer, String> SIGNALS =
            Map.of(
                    1, "SIGHUP", 2, "SIGINT", 3, "SIGQUIT", 4, "SIGILL", 6, "SIGABRT", 7, "SIGBUS",
                    8, "SIGFPE", 9, "SIGKILL", 11, "SIGSEGV", 15, "SIGTERM");

    /**
     * Reads how a JVM ended.
     *
     * @param exitStatus its exit status
     * @param output what it printed (HotSpot's banner names the report file), or empty
     * @param expectedErrorFile where the report would be (e.g. from {@code -XX:ErrorFile}), or
     *     null; used when the output names none
     * @return the crash; signal and frame null when no report was written
     */
    public static JvmCrash of(int exitStatus, String output, Path expectedErrorFile) {
        List<String> printed = output.lines().toList();
        Path file = null;
        for (int i = 0; i + 1 < printed.size(); i++) {
            if (printed.get(i).startsWith(SAVED_AS)) {
                file = Path.of(printed.get(i + 1).substring(1).trim());
            }
        }
        if (file == null && expectedErrorFile != null && Files.isRegularFile(expectedErrorFile)) {
            file = expectedErrorFile;
        }
        List<String> report = printed;
        if (file != null) {
            try {
                report = Files.readAllLines(file);
            } catch (IOException e) {
                // the banner in the output says the same
            }
        }
        String signal = null;
        String frame = null;
        for (int i = 0; i < report.size(); i++) {
            String line = report.get(i);
            Matcher m = SIGNAL.matcher(line);
            if (signal == null && m.find()) {
                signal = m.group(1);
            } else if (frame == null && line.startsWith(FRAME) && i + 1 < report.size()) {
                frame = report.get(i + 1).substring(1).trim();
            }
        }
        if (signal == null && exitStatus > 128 && SIGNALS.containsKey(exitStatus - 128)) {
            signal = SIGNALS.get(exitStatus - 128) + " (from the exit status)";
        }
        return new JvmCrash(exitStatus, signal, frame, file);
    }

    /**
     * Describes the end in one line, e.g. {@code "SIGFPE (0x8) in C [libtorch_cpu.so+0x...]
     * dnnl::...; exit status 134; fatal error report /tmp/hs_err_pid42.log"}.
     *
     * @return the description
     */
    public String describe() {
        StringBuilder text = new StringBuilder();
        if (signal != null) {
            text.append(signal);
            if (frame != null) {
                text.append(" in ").append(frame);
            }
            text.append("; ");
        }
        text.append("exit status ").append(exitStatus);
        if (errorFile != null) {
            text.append("; fatal error report ").append(errorFile);
        } else if (exitStatus == 134) {
            text.append(" (an abort, or a JVM fatal error whose report is missing)");
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}

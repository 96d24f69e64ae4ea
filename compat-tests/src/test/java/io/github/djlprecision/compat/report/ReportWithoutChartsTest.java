package io.github.djlprecision.compat.report;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlprecision.compat.CompatReportTest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A JRE that cannot draw charts (a jlink'd runtime without fonts or libharfbuzz throws {@link
 * UnsatisfiedLinkError} from libfontmanager) still gets the whole report, which says why the plots
 * are missing.
 */
class ReportWithoutChartsTest {

    @Test
    void reportIsWrittenAndSaysWhyPlotsAreMissing(@TempDir Path dir) throws IOException {
        Path html =
                CompatReport.write(
                        ReportContents.of(CompatReportTest.result()),
                        dir,
                        (result, prefix) -> {
                            throw new UnsatisfiedLinkError(
                                    "libfontmanager.so: libharfbuzz.so.0: cannot open shared"
                                            + " object file");
                        });
        String markdown = Files.readString(dir.resolve(CompatReport.MARKDOWN));
        assertTrue(
                markdown.contains(
                        "plots not drawn: this JRE cannot render charts (UnsatisfiedLinkError:"
                                + " libfontmanager.so: libharfbuzz.so.0"),
                markdown);
        assertTrue(markdown.contains("16-mixed"), markdown);
        assertTrue(Files.readString(html).contains("plots not drawn"));
        try (Stream<Path> files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".png")));
        }
    }
}

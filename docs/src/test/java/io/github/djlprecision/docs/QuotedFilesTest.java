package io.github.djlprecision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A fenced block after {@code <!-- file: path -->} in docs/*.md quotes a file of the repository
 * and must equal it, so a quoted plugin or services file cannot drift from the real one.
 */
class QuotedFilesTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern QUOTE =
            Pattern.compile("<!-- file: (\\S+) -->\\n```\\w*\\n(.*?)```", Pattern.DOTALL);

    @TestFactory
    Stream<DynamicTest> everyQuotedFileMatchesTheRepository() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            for (Path page : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                Matcher m = QUOTE.matcher(Files.readString(page));
                while (m.find()) {
                    String file = m.group(1);
                    String quoted = m.group(2);
                    tests.add(DynamicTest.dynamicTest(page.getFileName() + " quotes " + file, () -> {
                        Path source = ROOT.resolve(file);
                        assertTrue(Files.isRegularFile(source), "missing " + source);
                        assertEquals(Files.readString(source).strip(), quoted.strip(),
                                page.getFileName() + " quotes " + file + " but differs from it");
                    }));
                }
            }
        }
        return tests.stream();
    }
}

package io.github.djlprecision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps every Java snippet in the README and docs/ honest. Each fenced {@code java} block must
 * follow a {@code <!-- snippet: Name -->} comment and equal the lines between {@code //
 * snippet:start} and {@code // snippet:end} in {@code docs/src/test/java/snippets/Name.java},
 * which is compiled with the tests and whose {@code main} runs here. A snippet class may declare
 * {@code static String skipReason()}: a non-null reason (e.g. no GPU) skips the run and says why,
 * as Lightning's {@code :skipif:} does.
 */
class DocSnippetsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern BLOCK =
            Pattern.compile("(?:<!-- snippet: (\\w+) -->\\s*\\n)?```java\\n(.*?)```", Pattern.DOTALL);

    /** A fenced Java block in a Markdown page. */
    private record Block(Path page, int line, String name, String code) {}

    @TestFactory
    Stream<DynamicTest> everyJavaSnippetIsCompiledAndRun() throws IOException {
        List<Block> blocks = new ArrayList<>();
        for (Path page : pages()) {
            String text = Files.readString(page);
            Matcher m = BLOCK.matcher(text);
            while (m.find()) {
                int line = text.substring(0, m.start()).split("\n", -1).length;
                blocks.add(new Block(ROOT.relativize(page), line, m.group(1), m.group(2)));
            }
        }
        assertTrue(!blocks.isEmpty(), "no Java snippets found under " + ROOT);
        return blocks.stream()
                .map(b -> DynamicTest.dynamicTest(b.page() + ":" + b.line() + " " + b.name(), () -> check(b)));
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    private static void check(Block block) throws Exception {
        if (block.name() == null) {
            fail(block.page() + ":" + block.line() + ": Java block without a <!-- snippet: Name --> comment,"
                    + " so nothing compiles or runs it");
        }
        Path source = ROOT.resolve("docs/src/test/java/snippets/" + block.name() + ".java");
        assertTrue(Files.isRegularFile(source), "missing " + source);
        assertEquals(normalize(block.code()), normalize(region(Files.readString(source))),
                block.page() + ":" + block.line() + " differs from " + ROOT.relativize(source));
        Class<?> snippet = Class.forName("snippets." + block.name());
        String skip = skipReason(snippet);
        Assumptions.assumeTrue(skip == null, () -> "skipped: " + skip);
        try {
            snippet.getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    private static String skipReason(Class<?> snippet) throws ReflectiveOperationException {
        try {
            Method method = snippet.getDeclaredMethod("skipReason");
            method.setAccessible(true);
            return (String) method.invoke(null);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static String region(String source) {
        int start = source.indexOf("// snippet:start\n");
        int end = source.indexOf("// snippet:end");
        assertTrue(start >= 0 && end > start, "no snippet:start/end region");
        String body = source.substring(start + "// snippet:start\n".length(), end);
        return body.substring(0, body.lastIndexOf('\n') + 1);
    }

    /** Strips the indentation common to all lines, so a snippet reads flush left in Markdown. */
    private static String normalize(String code) {
        List<String> lines = code.lines().collect(Collectors.toList());
        int indent =
                lines.stream()
                        .filter(l -> !l.isBlank())
                        .mapToInt(l -> l.length() - l.stripLeading().length())
                        .min()
                        .orElse(0);
        return lines.stream()
                .map(l -> l.isBlank() ? "" : l.substring(indent))
                .collect(Collectors.joining("\n"))
                .strip();
    }
}

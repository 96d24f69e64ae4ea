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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 * which is compiled with the tests and whose {@code main} runs here. {@code Name#part} names the
 * region between {@code // snippet:start part} and {@code // snippet:end part}, for a page that
 * splits one program into several blocks. A snippet that needs an engine set up elsewhere lives in
 * that engine module's {@code src/test/java/snippets/}; a test of that module must run it. A snippet class may declare
 * {@code static String skipReason()}: a non-null reason (e.g. no GPU) skips the run and says why,
 * as Lightning's {@code :skipif:} does.
 */
class DocSnippetsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** Snippet classes already run: a page may quote several parts of one program. */
    private static final Set<String> RUN = new HashSet<>();
    private static final Pattern BLOCK =
            Pattern.compile(
                    "(?:<!-- snippet: ([\\w#]+) -->\\s*\\n)?```java\\n(.*?)```", Pattern.DOTALL);

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
        String[] nameAndPart = block.name().split("#", 2);
        String className = nameAndPart[0];
        String part = nameAndPart.length == 2 ? " " + nameAndPart[1] : "";
        Path source = snippetSource(className);
        assertEquals(normalize(block.code()), normalize(region(Files.readString(source), part)),
                block.page() + ":" + block.line() + " differs from " + ROOT.relativize(source));
        Path module = source.getParent().getParent().getParent().getParent().getParent();
        if (!module.equals(ROOT.resolve("docs"))) {
            assertTrue(isRunByATestOf(module, className),
                    "no test in " + ROOT.relativize(module) + " runs snippets." + className);
            return;
        }
        if (!RUN.add(className)) {
            return;
        }
        Class<?> snippet = Class.forName("snippets." + className);
        String skip = skipReason(snippet);
        Assumptions.assumeTrue(skip == null, () -> "skipped: " + skip);
        try {
            snippet.getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    private static Path snippetSource(String className) throws IOException {
        Path docs = ROOT.resolve("docs/src/test/java/snippets/" + className + ".java");
        if (Files.isRegularFile(docs)) {
            return docs;
        }
        try (Stream<Path> engines = Files.list(ROOT.resolve("engines"))) {
            return engines.map(e -> e.resolve("src/test/java/snippets/" + className + ".java"))
                    .filter(Files::isRegularFile)
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no snippet class " + className));
        }
    }

    private static boolean isRunByATestOf(Path module, String className) throws IOException {
        try (Stream<Path> tests = Files.walk(module.resolve("src/test/java"))) {
            return tests.filter(p -> p.getFileName().toString().endsWith("Test.java"))
                    .anyMatch(p -> read(p).contains(className + ".main("));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
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

    private static String region(String source, String part) {
        String open = "// snippet:start" + part + "\n";
        int start = source.indexOf(open);
        int end = source.indexOf("// snippet:end" + part + "\n");
        assertTrue(start >= 0 && end > start, "no snippet:start/end region" + part);
        String body = source.substring(start + open.length(), end);
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

package io.github.djlprecision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation stands on its own: every relative link of every Markdown page of the repository
 * (README.md, docs/, the modules' READMEs; raw results and logs aside) names a file that exists in
 * the repository and, with {@code #anchor}, a heading of that page (anchors as GitHub makes them);
 * no page, script or source file refers to folders or tools outside the repository.
 */
class DocLinksTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern INLINE_LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)[^)]*\\)");
    private static final Pattern REFERENCE_LINK = Pattern.compile("(?m)^\\s*\\[[^\\]]+\\]:\\s*(\\S+)");
    private static final Pattern HTML_LINK = Pattern.compile("(?:href|src)=\"([^\"]+)\"");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s+(?:name|id)=\"([^\"]+)\"");
    /** References to places a reader of the repository cannot see. */
    private static final Pattern OUTSIDE = Pattern.compile(
            "\\.\\./shared|shared/device|shared/notes|(?<![\\w.])/work/|device tool|the shared folder",
            Pattern.CASE_INSENSITIVE);

    /** Raw output of runs, kept as it was printed: not documentation. */
    private static boolean isRawResult(Path relative) {
        String p = relative.toString();
        return p.startsWith("bench/results/") || p.startsWith("docs/compatibility/");
    }

    private static List<Path> files(String... suffixes) throws IOException {
        try (Stream<Path> walk = Files.walk(ROOT)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> {
                        Path r = ROOT.relativize(p);
                        for (Path part : r) {
                            String s = part.toString();
                            if (s.equals("target") || s.startsWith(".") || s.equals("node_modules")) {
                                return false;
                            }
                        }
                        return !isRawResult(r);
                    })
                    .filter(p -> Stream.of(suffixes).anyMatch(s -> p.toString().endsWith(s)))
                    .sorted()
                    .toList();
        }
    }

    /** The page without fenced code blocks and inline code, where links are not links. */
    static String prose(String markdown) {
        StringBuilder out = new StringBuilder();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                out.append('\n');
                continue;
            }
            out.append(fenced ? "" : line.replaceAll("`[^`]*`", "``")).append('\n');
        }
        return out.toString();
    }

    /** GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as hyphens. */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                String text = h.group(1).replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
                String slug = text.toLowerCase(Locale.ROOT)
                        .replaceAll("[^\\p{L}\\p{N}\\s_-]", "")
                        .strip()
                        .replace(' ', '-');
                int n = seen.merge(slug, 1, Integer::sum) - 1;
                anchors.add(n == 0 ? slug : slug + "-" + n);
            }
            Matcher a = HTML_ANCHOR.matcher(line);
            while (a.find()) {
                anchors.add(a.group(1));
            }
        }
        return anchors;
    }

    static List<String> links(String markdown) {
        String prose = prose(markdown);
        List<String> links = new ArrayList<>();
        for (Pattern p : List.of(INLINE_LINK, REFERENCE_LINK, HTML_LINK)) {
            Matcher m = p.matcher(prose);
            while (m.find()) {
                links.add(m.group(1));
            }
        }
        return links;
    }

    /** What is wrong with one link of a page, or null. */
    private static String problem(Path page, String link) throws IOException {
        if (link.matches("(?i)(https?|mailto|ftp):.*")) {
            return null;
        }
        int hash = link.indexOf('#');
        String path = hash < 0 ? link : link.substring(0, hash);
        String anchor = hash < 0 ? null : link.substring(hash + 1);
        if (path.startsWith("/")) {
            return "absolute path (not a link within the repository)";
        }
        Path target = path.isEmpty() ? page : page.getParent().resolve(path).normalize();
        if (!target.startsWith(ROOT)) {
            return "points outside the repository";
        }
        if (!Files.exists(target)) {
            return "no such file " + ROOT.relativize(target);
        }
        if (anchor != null && !anchor.isEmpty() && target.toString().endsWith(".md")
                && !anchors(Files.readString(target)).contains(anchor)) {
            return "no heading with anchor #" + anchor + " in " + ROOT.relativize(target);
        }
        return null;
    }

    @Test
    void everyRelativeLinkAndAnchorExists() throws IOException {
        List<String> dead = new ArrayList<>();
        int checked = 0;
        for (Path page : files(".md")) {
            for (String link : links(Files.readString(page))) {
                checked++;
                String problem = problem(page, link);
                if (problem != null) {
                    dead.add(ROOT.relativize(page) + ": (" + link + ") " + problem);
                }
            }
        }
        assertTrue(checked > 50, "found only " + checked + " links: is the walk right?");
        assertEquals(List.of(), dead, "dead links");
    }

    @Test
    void nothingRefersToPlacesOutsideTheRepository() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path file : files(".md", ".sh", ".py", ".java", "main-job", "pom.xml")) {
            if (file.getFileName().toString().equals("DocLinksTest.java")) {
                continue; // the patterns themselves
            }
            String[] lines = Files.readString(file).split("\n");
            for (int i = 0; i < lines.length; i++) {
                Matcher m = OUTSIDE.matcher(lines[i]);
                if (m.find()) {
                    found.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        assertEquals(List.of(), found, "references to folders or tools outside the repository");
    }

    @Test
    void anchorsAreGitHubs() {
        Set<String> a = anchors("# djl-precision\n## GPU quick start\n### `16-mixed` and `bf16-mixed`\n"
                + "```\n# not a heading\n```\n## Several GPUs\n## Several GPUs\n"
                + "## [Linked](x.md) heading: a, b (c)\n");
        assertEquals(List.of("djl-precision", "gpu-quick-start", "16-mixed-and-bf16-mixed",
                "several-gpus", "several-gpus-1", "linked-heading-a-b-c"), List.copyOf(a));
    }

    @Test
    void linksInCodeAreNotLinks() {
        assertEquals(List.of("a.md#x", "b.md"),
                links("[a](a.md#x) `[c](c.md)`\n```\n[d](d.md)\n```\n[b]: b.md\n"));
    }
}

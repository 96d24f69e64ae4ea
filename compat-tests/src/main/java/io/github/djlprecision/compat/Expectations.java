package io.github.djlprecision.compat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The expected verdict of every cell, engine x precision x device type, read from a table. The
 * bundled table ({@code expectations.tsv} next to this class) is the one place later work updates
 * when a precision becomes supported; a team can load its own or override single rows.
 *
 * <p>Each line holds, separated by tabs or spaces: engine, precision label (see {@link
 * PrecisionVariant#label()}), device type ({@code cpu} or {@code gpu}), {@code PASS}, {@code
 * UNSUPPORTED} or {@code FAIL}, and for {@code UNSUPPORTED} a regular expression the refusal's
 * message must contain. A {@code FAIL} row records a known failure (a bug being fixed): the cell
 * stays FAIL in reports, but a test of it is skipped while it fails with a reason matching the
 * row's regular expression, and fails once the cell passes, so that the row is set to {@code PASS}.
 * {@code #} starts a comment.
 */
public final class Expectations {

    private static final String BUNDLED = "expectations.tsv";

    private final Map<String, Expectation> rows;

    private Expectations(Map<String, Expectation> rows) {
        this.rows = rows;
    }

    /**
     * One row of the table.
     *
     * @param verdict {@link Verdict#PASS}, {@link Verdict#UNSUPPORTED}, or {@link Verdict#FAIL} for
     *     a known failure
     * @param reason what the refusal's message (UNSUPPORTED) or the failure's reason (FAIL) must
     *     contain, a regular expression found anywhere in it; null for {@code PASS}
     */
    public record Expectation(Verdict verdict, Pattern reason) {

        /**
         * Checks that the row is a PASS without reason, or an UNSUPPORTED or FAIL with one.
         *
         * @param verdict the expected verdict
         * @param reason the expected refusal or failure pattern
         */
        public Expectation {
            if ((verdict != Verdict.PASS) != (reason != null)) {
                throw new IllegalArgumentException(
                        "An UNSUPPORTED row needs the pattern of its designed error and a FAIL row"
                                + " (a known failure) the pattern of its reason; a PASS row has"
                                + " none");
            }
        }
    }

    /**
     * Returns the bundled table.
     *
     * @return the expectations for the engines this project ships
     */
    public static Expectations bundled() {
        try (InputStream in = Expectations.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException(BUNDLED + " is missing from the class path");
            }
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a table from a file.
     *
     * @param file the table
     * @return the expectations
     * @throws IOException if the file cannot be read
     */
    public static Expectations load(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            return parse(reader);
        }
    }

    /**
     * Reads a table.
     *
     * @param reader the table's text
     * @return the expectations
     * @throws IOException if reading fails
     * @throws IllegalArgumentException naming the line of a malformed or duplicate row
     */
    public static Expectations parse(Reader reader) throws IOException {
        Map<String, Expectation> rows = new LinkedHashMap<>();
        BufferedReader lines = new BufferedReader(reader);
        String line;
        int number = 0;
        while ((line = lines.readLine()) != null) {
            number++;
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            String[] fields = text.split("\\s+", 5);
            // PatternSyntaxException is an IllegalArgumentException too
            try {
                if (fields.length < 4) {
                    throw new IllegalArgumentException(
                            "expected engine, precision, device, verdict [, reason]");
                }
                PrecisionVariant variant = PrecisionVariant.parse(fields[1]);
                Verdict verdict = Verdict.valueOf(fields[3]);
                Pattern reason = fields.length == 5 ? Pattern.compile(fields[4]) : null;
                String key = key(fields[0], variant, fields[2]);
                if (rows.put(key, new Expectation(verdict, reason)) != null) {
                    throw new IllegalArgumentException("duplicate row for " + key);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "Expectation table, line " + number + " '" + text + "': " + e.getMessage(),
                        e);
            }
        }
        return new Expectations(rows);
    }

    /**
     * Returns the expectation for a cell.
     *
     * @param cell the cell
     * @return the row, or empty when the table has none
     */
    public Optional<Expectation> get(MatrixCell cell) {
        return Optional.ofNullable(rows.get(key(cell.engine(), cell.variant(), cell.deviceType())));
    }

    /**
     * Returns a copy with one row set, e.g. for a model that a guard refuses in some precision.
     *
     * @param engine the engine name, e.g. {@code "PyTorch"}
     * @param variant the precision label, e.g. {@code "bf16-mixed"}
     * @param deviceType {@code cpu} or {@code gpu}
     * @param expectation the expected verdict
     * @return the new expectations
     */
    public Expectations with(
            String engine, String variant, String deviceType, Expectation expectation) {
        Map<String, Expectation> copy = new LinkedHashMap<>(rows);
        copy.put(key(engine, PrecisionVariant.parse(variant), deviceType), expectation);
        return new Expectations(copy);
    }

    /**
     * Returns how many rows the table has.
     *
     * @return the number of rows
     */
    public int size() {
        return rows.size();
    }

    private static String key(String engine, PrecisionVariant variant, String deviceType) {
        return engine + " " + variant.label() + " " + deviceType.toLowerCase(Locale.ROOT);
    }
}

package io.github.djlprecision.compat.architectures;

import io.github.djlprecision.compat.Expectations;
import io.github.djlprecision.compat.PrecisionVariant;
import io.github.djlprecision.compat.Verdict;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The expectations of the architecture axis: the bundled table, overridden per architecture by
 * {@code architectures.tsv} next to this class (the one place to update when a block starts running
 * in a precision).
 */
public final class ArchitectureExpectations {

    private static final String TABLE = "architectures.tsv";
    private static final String ENGINE = "PyTorch";

    private record Row(
            List<String> architectures,
            List<String> variants,
            List<String> deviceTypes,
            Expectations.Expectation expectation) {}

    private static final List<Row> ROWS = read();

    private ArchitectureExpectations() {}

    /**
     * Returns the expectations of one architecture's cells.
     *
     * @param architecture the architecture
     * @return the bundled table with the architecture's rows applied
     */
    public static Expectations of(Architecture architecture) {
        Expectations expectations = Expectations.bundled();
        for (Row row : ROWS) {
            if (row.architectures().contains("*")
                    || row.architectures().contains(architecture.id())) {
                for (String variant : row.variants()) {
                    for (String deviceType : row.deviceTypes()) {
                        expectations =
                                expectations.with(ENGINE, variant, deviceType, row.expectation());
                    }
                }
            }
        }
        return expectations;
    }

    private static List<Row> read() {
        try (InputStream in = ArchitectureExpectations.class.getResourceAsStream(TABLE)) {
            if (in == null) {
                throw new IllegalStateException(TABLE + " is missing from the class path");
            }
            BufferedReader reader =
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<Row> rows = new ArrayList<>();
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                String text = line.strip();
                if (!text.isEmpty() && !text.startsWith("#")) {
                    rows.add(parse(text, number));
                }
            }
            return List.copyOf(rows);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Row parse(String text, int number) {
        String[] fields = text.split("\\s+", 5);
        try {
            if (fields.length < 4) {
                throw new IllegalArgumentException(
                        "expected architectures, precisions, device, verdict [, reason]");
            }
            List<String> architectures = List.of(fields[0].split(","));
            for (String id : architectures) {
                if (!id.equals("*")) {
                    Architecture.of(id);
                }
            }
            List<String> variants = List.of(fields[1].split(","));
            variants.forEach(PrecisionVariant::parse);
            List<String> devices =
                    fields[2].equals("*") ? List.of("cpu", "gpu") : List.of(fields[2]);
            Verdict verdict = Verdict.valueOf(fields[3]);
            Pattern reason = fields.length == 5 ? Pattern.compile(fields[4]) : null;
            return new Row(
                    architectures,
                    variants,
                    devices,
                    new Expectations.Expectation(verdict, reason));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    TABLE + ", line " + number + " '" + text + "': " + e.getMessage(), e);
        }
    }
}

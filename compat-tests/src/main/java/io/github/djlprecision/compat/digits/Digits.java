package io.github.djlprecision.compat.digits;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * The UCI "Optical Recognition of Handwritten Digits" test part: 1797 real 8x8 images of
 * handwritten digits, pixels 0..16, labels 0..9, bundled with this module (see {@link
 * #ATTRIBUTION}).
 */
public final class Digits {

    /** Images in the set. */
    public static final int SAMPLES = 1797;

    /** Pixels per side of an image. */
    public static final int SIDE = 8;

    /** Pixels per image. */
    public static final int PIXELS = SIDE * SIDE;

    /** The largest pixel value. */
    public static final int MAX_PIXEL = 16;

    /** Digit classes. */
    public static final int CLASSES = 10;

    /** Where the data come from, its licence and how it was obtained, for reports. */
    public static final String ATTRIBUTION =
            "Data: UCI Machine Learning Repository, \"Optical Recognition of Handwritten Digits\""
                + " by E. Alpaydin and C. Kaynak (1998),"
                + " https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits,"
                + " licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); its test"
                + " part (1797 images, 13 writers) as redistributed in scikit-learn"
                + " (sklearn/datasets/data/digits.csv.gz), unmodified.";

    private static final String RESOURCE = "digits.csv.gz";
    private static final Digits BUNDLED = read();

    private final int[] pixels;
    private final int[] labels;

    private Digits(int[] pixels, int[] labels) {
        this.pixels = pixels;
        this.labels = labels;
    }

    /**
     * Returns the bundled data set.
     *
     * @return the 1797 images and their labels
     */
    public static Digits bundled() {
        return BUNDLED;
    }

    private static Digits read() {
        int[] pixels = new int[SAMPLES * PIXELS];
        int[] labels = new int[SAMPLES];
        try (InputStream in = Digits.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            BufferedReader reader =
                    new BufferedReader(
                            new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8));
            int row = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String[] fields = line.split(",");
                if (fields.length != PIXELS + 1 || row == SAMPLES) {
                    throw new IllegalStateException(RESOURCE + ": unexpected row " + (row + 1));
                }
                for (int i = 0; i < PIXELS; i++) {
                    pixels[row * PIXELS + i] = Integer.parseInt(fields[i]);
                }
                labels[row++] = Integer.parseInt(fields[PIXELS]);
            }
            if (row != SAMPLES) {
                throw new IllegalStateException(RESOURCE + ": " + row + " rows, not " + SAMPLES);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Digits(pixels, labels);
    }

    /**
     * Which rows train and which test.
     *
     * @param train the training rows, in the order training visits them
     * @param test the test rows
     */
    public record Split(int[] train, int[] test) {}

    /**
     * Splits the rows: within each class a fixed fraction goes to the test set (stratified), and
     * the training rows are shuffled once; the same seed gives the same split and order.
     *
     * @param testFraction the share of each class held out, in (0, 1)
     * @param seed the shuffling seed
     * @return the split
     */
    public Split split(double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException(
                    "testFraction must lie in (0, 1), got " + testFraction);
        }
        Random random = new Random(seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (int digit = 0; digit < CLASSES; digit++) {
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < SAMPLES; i++) {
                if (labels[i] == digit) {
                    rows.add(i);
                }
            }
            Collections.shuffle(rows, random);
            int held = (int) Math.round(rows.size() * testFraction);
            test.addAll(rows.subList(0, held));
            train.addAll(rows.subList(held, rows.size()));
        }
        Collections.shuffle(train, random);
        Collections.sort(test);
        return new Split(toArray(train), toArray(test));
    }

    /**
     * Returns the images of some rows, pixels scaled to [0, 1], row-major, one image after another.
     *
     * @param rows the rows
     * @return {@code rows.length * 64} values
     */
    public float[] images(int[] rows) {
        float[] out = new float[rows.length * PIXELS];
        for (int r = 0; r < rows.length; r++) {
            for (int i = 0; i < PIXELS; i++) {
                out[r * PIXELS + i] = pixels[rows[r] * PIXELS + i] / (float) MAX_PIXEL;
            }
        }
        return out;
    }

    /**
     * Returns the images of some rows enlarged by an integer factor (each pixel repeated), scaled
     * to [0, 1]: for architectures that need larger inputs than 8x8.
     *
     * @param rows the rows
     * @param factor the enlargement, 1 or more
     * @return {@code rows.length * (8 * factor)^2} values
     */
    public float[] enlargedImages(int[] rows, int factor) {
        int side = SIDE * factor;
        float[] out = new float[rows.length * side * side];
        for (int r = 0; r < rows.length; r++) {
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    int pixel = pixels[rows[r] * PIXELS + (y / factor) * SIDE + x / factor];
                    out[(r * side + y) * side + x] = pixel / (float) MAX_PIXEL;
                }
            }
        }
        return out;
    }

    /**
     * Returns the raw pixel values of some rows as integer token ids (0..16), for embedding models.
     *
     * @param rows the rows
     * @return {@code rows.length * 64} ids
     */
    public int[] pixelIds(int[] rows) {
        int[] out = new int[rows.length * PIXELS];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(pixels, rows[r] * PIXELS, out, r * PIXELS, PIXELS);
        }
        return out;
    }

    /**
     * Returns the labels of some rows.
     *
     * @param rows the rows
     * @return the digits, as floats (DJL's classification losses take them so)
     */
    public float[] labels(int[] rows) {
        float[] out = new float[rows.length];
        for (int r = 0; r < rows.length; r++) {
            out[r] = labels[rows[r]];
        }
        return out;
    }

    private static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}

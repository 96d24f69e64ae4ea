package io.github.djlprecision.compat.digits;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * How a digit image reaches a model: as 64 pixels, as an image (enlarged for architectures that
 * need larger inputs), as a sequence of 8 rows, or as integer token ids for embedding models.
 */
public abstract class DigitsInput {

    private DigitsInput() {}

    /**
     * 64 pixels in [0, 1] in a row, shape (N, 64): for MLPs.
     *
     * @return the layout
     */
    public static DigitsInput flat() {
        return new DigitsInput() {
            @Override
            public Shape[] shapes(long batch) {
                return new Shape[] {new Shape(batch, Digits.PIXELS)};
            }

            @Override
            NDArray[] arrays(NDManager manager, Digits digits, int[] rows) {
                return new NDArray[] {
                    manager.create(digits.images(rows), new Shape(rows.length, Digits.PIXELS))
                };
            }

            @Override
            public String describe() {
                return "64 pixels";
            }
        };
    }

    /**
     * One-channel images, each pixel repeated {@code factor} times along both axes, shape (N, 1, 8
     * factor, 8 factor): for convolutional networks.
     *
     * @param factor the enlargement, 1 for the 8x8 original
     * @return the layout
     */
    public static DigitsInput image(int factor) {
        if (factor < 1) {
            throw new IllegalArgumentException("factor must be 1 or more, got " + factor);
        }
        long side = (long) Digits.SIDE * factor;
        return new DigitsInput() {
            @Override
            public Shape[] shapes(long batch) {
                return new Shape[] {new Shape(batch, 1, side, side)};
            }

            @Override
            NDArray[] arrays(NDManager manager, Digits digits, int[] rows) {
                return new NDArray[] {
                    manager.create(
                            digits.enlargedImages(rows, factor),
                            new Shape(rows.length, 1, side, side))
                };
            }

            @Override
            public String describe() {
                return side + "x" + side + " images" + (factor == 1 ? "" : " (enlarged)");
            }
        };
    }

    /**
     * A sequence of 8 rows of 8 pixels, shape (N, 8, 8), batch first: for recurrent and attention
     * models.
     *
     * @return the layout
     */
    public static DigitsInput rows() {
        return new DigitsInput() {
            @Override
            public Shape[] shapes(long batch) {
                return new Shape[] {new Shape(batch, Digits.SIDE, Digits.SIDE)};
            }

            @Override
            NDArray[] arrays(NDManager manager, Digits digits, int[] rows) {
                return new NDArray[] {
                    manager.create(
                            digits.images(rows), new Shape(rows.length, Digits.SIDE, Digits.SIDE))
                };
            }

            @Override
            public String describe() {
                return "sequences of 8 rows";
            }
        };
    }

    /**
     * The 64 raw pixel values (0..16) as int32 token ids, shape (N, 64); with {@code bert}, also
     * token types (all 0) and an attention mask (all 1), as DJL's {@code BertBlock} takes them.
     *
     * @param bert true for BertBlock's three inputs
     * @return the layout
     */
    public static DigitsInput tokenIds(boolean bert) {
        return new DigitsInput() {
            @Override
            public Shape[] shapes(long batch) {
                Shape ids = new Shape(batch, Digits.PIXELS);
                return bert ? new Shape[] {ids, ids, ids} : new Shape[] {ids};
            }

            @Override
            NDArray[] arrays(NDManager manager, Digits digits, int[] rows) {
                Shape shape = new Shape(rows.length, Digits.PIXELS);
                NDArray ids = manager.create(digits.pixelIds(rows), shape);
                if (!bert) {
                    return new NDArray[] {ids};
                }
                int[] zeros = new int[rows.length * Digits.PIXELS];
                int[] ones = new int[zeros.length];
                Arrays.fill(ones, 1);
                return new NDArray[] {
                    ids, manager.create(zeros, shape), manager.create(ones, shape)
                };
            }

            @Override
            public String describe() {
                return bert
                        ? "64 int32 pixel-value tokens (0..16) with types and mask"
                        : "64 int32 pixel-value tokens (0..16)";
            }
        };
    }

    /**
     * Returns the shapes of one batch's inputs.
     *
     * @param batch the batch size
     * @return one shape per input
     */
    public abstract Shape[] shapes(long batch);

    /** Returns the inputs of some rows, one array per input. */
    abstract NDArray[] arrays(NDManager manager, Digits digits, int[] rows);

    /**
     * Returns how the layout reads in a description.
     *
     * @return e.g. {@code "32x32 images (enlarged)"}
     */
    public abstract String describe();
}

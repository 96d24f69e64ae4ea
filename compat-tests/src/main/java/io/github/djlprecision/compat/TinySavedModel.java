package io.github.djlprecision.compat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The TensorFlow cells' workload: a two-layer MLP, {@code relu(relu(x W1 + b1) W2 + b2)}, built
 * with TensorFlow's Java ops and exported as a SavedModel (no Python, no binary fixture), plus a
 * fixed input and its float64 reference output. DJL's TensorFlow engine can neither train nor take
 * a DJL {@code Block}, so these cells load a model instead of building the workload's.
 */
final class TinySavedModel {

    static final String DESCRIPTION =
            "SavedModel MLP 16-32-8 (ReLU, weights as graph constants), inference on a fixed"
                    + " batch of 32";

    private static final int FEATURES = 16;
    private static final int[] UNITS = {32, 8};
    private static final int BATCH = 32;

    private TinySavedModel() {}

    /** Exports the model into an empty or missing folder; loads the TensorFlow engine. */
    static Path export(Path dir) throws IOException {
        // TensorFlow's Java classes run on the natives DJL loads
        Engine.getEngine(TensorFlowCells.ENGINE);
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Placeholder<TFloat32> x =
                    tf.withName("x")
                            .placeholder(
                                    TFloat32.class,
                                    Placeholder.shape(
                                            org.tensorflow.ndarray.Shape.of(-1, FEATURES)));
            Operand<TFloat32> h = x;
            int in = FEATURES;
            for (int layer = 0; layer < UNITS.length; layer++) {
                h =
                        tf.nn.relu(
                                tf.nn.biasAdd(
                                        tf.linalg.matMul(
                                                h, tf.constant(weights(in, UNITS[layer], layer))),
                                        tf.constant(bias(UNITS[layer], layer))));
                in = UNITS[layer];
            }
            try (Session session = new Session(graph)) {
                SavedModelBundle.exporter(dir.toString())
                        .withSession(session)
                        .withSignature(Signature.builder().input("x", x).output("y", h).build())
                        .export();
            }
        }
        return dir;
    }

    /** Returns how many weights and biases the graph holds (all float32 constants). */
    static long parameterCount() {
        long count = 0;
        int in = FEATURES;
        for (int units : UNITS) {
            count += (long) in * units + units;
            in = units;
        }
        return count;
    }

    static Shape inputShape() {
        return new Shape(BATCH, FEATURES);
    }

    /** The input, row-major: values of both signs, most of them not exact in bfloat16. */
    static float[] input() {
        float[] x = new float[BATCH * FEATURES];
        for (int r = 0; r < BATCH; r++) {
            for (int i = 0; i < FEATURES; i++) {
                x[r * FEATURES + i] = (float) Math.cos(0.91 * (r + 1) * (i + 2)) * 1.3f;
            }
        }
        return x;
    }

    /** The model's output on {@link #input()} in float64, row-major. */
    static double[] reference() {
        float[] flat = input();
        double[][] h = new double[BATCH][FEATURES];
        for (int r = 0; r < BATCH; r++) {
            for (int i = 0; i < FEATURES; i++) {
                h[r][i] = flat[r * FEATURES + i];
            }
        }
        int in = FEATURES;
        for (int layer = 0; layer < UNITS.length; layer++) {
            float[][] w = weights(in, UNITS[layer], layer);
            float[] b = bias(UNITS[layer], layer);
            double[][] next = new double[BATCH][UNITS[layer]];
            for (int r = 0; r < BATCH; r++) {
                for (int j = 0; j < b.length; j++) {
                    double s = b[j];
                    for (int i = 0; i < in; i++) {
                        s += h[r][i] * w[i][j];
                    }
                    next[r][j] = Math.max(0, s);
                }
            }
            h = next;
            in = UNITS[layer];
        }
        double[] y = new double[BATCH * in];
        for (int r = 0; r < BATCH; r++) {
            System.arraycopy(h[r], 0, y, r * in, in);
        }
        return y;
    }

    /** Values of both signs, most of them not exact in bfloat16, scaled to keep outputs O(1). */
    private static float[][] weights(int in, int out, int layer) {
        float[][] w = new float[in][out];
        double scale = 1.5 / Math.sqrt(in);
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                w[i][j] = (float) (Math.sin(1.7 * (i + 1) + 0.37 * (j + 1) + layer) * scale);
            }
        }
        return w;
    }

    private static float[] bias(int out, int layer) {
        float[] b = new float[out];
        for (int j = 0; j < out; j++) {
            b[j] = 0.05f * (j - out / 3) + 0.01f * layer + 0.0123f;
        }
        return b;
    }
}

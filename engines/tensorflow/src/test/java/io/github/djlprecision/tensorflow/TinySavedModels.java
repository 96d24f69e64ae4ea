package io.github.djlprecision.tensorflow;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * Builds tiny SavedModels with TensorFlow's Java ops (no Python, no binary fixtures), and the
 * float32 reference they must compute. Each layer is {@code relu(x @ W + b)}.
 */
public final class TinySavedModels {

    static final int FEATURES = 16;
    static final int UNITS = 8;
    static final int BATCH = 4;

    private TinySavedModels() {}

    /** How the exported graph is built. */
    public enum Variant {
        /** Plain float32 ops. */
        PLAIN,
        /** The first MatMul's inputs cast to bfloat16 inside the graph, its output back. */
        BF16_CASTS,
        /**
         * Every node pinned to {@code /device:TPU:0}, as a graph exported on a TPU host would be.
         * TensorFlow cannot export such a graph without a TPU, so the pins are written into the
         * exported {@code saved_model.pb}.
         */
        PINNED_TO_TPU
    }

    public static Path export(Path dir, int layers, Variant variant) throws IOException {
        Engine.getEngine("TensorFlow"); // TensorFlow's Java classes use the natives DJL loads
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
            for (int layer = 0; layer < layers; layer++) {
                Operand<TFloat32> w = tf.constant(weights(in, UNITS, layer));
                Operand<TFloat32> matMul;
                if (variant == Variant.BF16_CASTS && layer == 0) {
                    matMul =
                            tf.dtypes.cast(
                                    tf.linalg.matMul(
                                            tf.dtypes.cast(h, TBfloat16.class),
                                            tf.dtypes.cast(w, TBfloat16.class)),
                                    TFloat32.class);
                } else {
                    matMul = tf.linalg.matMul(h, w);
                }
                h = tf.nn.relu(tf.nn.biasAdd(matMul, tf.constant(bias(UNITS, layer))));
                in = UNITS;
            }
            try (Session session = new Session(graph)) {
                Signature signature = Signature.builder().input("x", x).output("y", h).build();
                SavedModelBundle.exporter(dir.toString())
                        .withSession(session)
                        .withSignature(signature)
                        .export();
            }
        }
        if (variant == Variant.PINNED_TO_TPU) {
            pinAllNodes(dir.resolve("saved_model.pb"), "/device:TPU:0");
        }
        return dir;
    }

    private static void pinAllNodes(Path savedModelFile, String device) throws IOException {
        SavedModel.Builder savedModel = SavedModel.parseFrom(Files.readAllBytes(savedModelFile)).toBuilder();
        for (MetaGraphDef.Builder meta : savedModel.getMetaGraphsBuilderList()) {
            for (NodeDef.Builder node : meta.getGraphDefBuilder().getNodeBuilderList()) {
                node.setDevice(device);
            }
        }
        Files.write(savedModelFile, savedModel.build().toByteArray());
    }

    static ZooModel<NDList, NDList> load(Path dir, TensorFlowLoadOptions precision)
            throws IOException, ModelNotFoundException, MalformedModelException {
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(dir)
                .optEngine("TensorFlow")
                .optOptions(precision.getLoadOptions())
                .build()
                .loadModel();
    }

    /** Values of both signs, most of them not representable in bfloat16. */
    static float[][] weights(int in, int out, int layer) {
        float[][] w = new float[in][out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                w[i][j] = (float) Math.sin(1.7 * (i + 1) + 0.37 * (j + 1) + layer) * 0.6f;
            }
        }
        return w;
    }

    static float[] bias(int out, int layer) {
        float[] b = new float[out];
        for (int j = 0; j < out; j++) {
            b[j] = 0.05f * (j - out / 3) + 0.01f * layer + 0.0123f;
        }
        return b;
    }

    static float[][] inputValues() {
        float[][] x = new float[BATCH][FEATURES];
        for (int r = 0; r < BATCH; r++) {
            for (int i = 0; i < FEATURES; i++) {
                x[r][i] = (float) Math.cos(0.91 * (r + 1) * (i + 2)) * 1.3f;
            }
        }
        return x;
    }

    public static NDArray input(NDManager manager) {
        float[][] x = inputValues();
        float[] flat = new float[BATCH * FEATURES];
        for (int r = 0; r < BATCH; r++) {
            System.arraycopy(x[r], 0, flat, r * FEATURES, FEATURES);
        }
        return manager.create(flat, new Shape(BATCH, FEATURES));
    }

    /** One layer in double precision: the float32 reference, exact to far below 1e-5. */
    static double[][] layer(double[][] x, float[][] w, float[] b) {
        double[][] y = new double[x.length][b.length];
        for (int r = 0; r < x.length; r++) {
            for (int j = 0; j < b.length; j++) {
                double s = b[j];
                for (int i = 0; i < w.length; i++) {
                    s += x[r][i] * w[i][j];
                }
                y[r][j] = Math.max(0, s);
            }
        }
        return y;
    }

    static double[][] toDouble(float[][] x) {
        double[][] d = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            d[r] = new double[x[r].length];
            for (int i = 0; i < x[r].length; i++) {
                d[r][i] = x[r][i];
            }
        }
        return d;
    }

    static boolean isBfloat16Exact(float value) {
        return (Float.floatToRawIntBits(value) & 0xFFFF) == 0;
    }
}

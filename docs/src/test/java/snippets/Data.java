package snippets;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.dataset.ArrayDataset;
import java.util.Random;

/** Generated data and sanity checks for the snippets, kept out of the snippets themselves. */
final class Data {

    private Data() {}

    /** Four Gaussian blobs in 16 dimensions. */
    static ArrayDataset blobs(NDManager manager, int samples, int batchSize) {
        Random random = new Random(7);
        int features = 16;
        float[][] centres = new float[4][features];
        for (float[] centre : centres) {
            for (int j = 0; j < features; j++) {
                centre[j] = (float) random.nextGaussian();
            }
        }
        float[] x = new float[samples * features];
        float[] y = new float[samples];
        for (int i = 0; i < samples; i++) {
            y[i] = i % 4;
            for (int j = 0; j < features; j++) {
                x[i * features + j] = centres[i % 4][j] + (float) random.nextGaussian() * 0.5f;
            }
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(x, new Shape(samples, features)))
                .optLabels(manager.create(y, new Shape(samples)))
                .setSampling(batchSize, true)
                .build();
    }

    /** A snippet that trained must leave finite parameters behind. */
    static void check(Model model) {
        for (Parameter parameter : model.getBlock().getParameters().values()) {
            for (float value : parameter.getArray().toFloatArray()) {
                if (!Float.isFinite(value)) {
                    throw new IllegalStateException(parameter.getName() + " is not finite");
                }
            }
        }
    }
}

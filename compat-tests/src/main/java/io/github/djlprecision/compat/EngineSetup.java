package io.github.djlprecision.compat;

/**
 * What the matrix does to the process before any engine loads, and which optional engine support is
 * on the class path. TensorFlow cells need {@code djl-precision-tensorflow}; without it the matrix
 * leaves DJL's TensorFlow engine out and never loads {@link TensorFlowCells}.
 */
final class EngineSetup {

    /** Whether {@code djl-precision-tensorflow} is on the class path. */
    static final boolean TENSORFLOW_CELLS =
            present("io.github.djlprecision.tensorflow.TensorFlowLoadOptions");

    private static boolean prepared;

    private EngineSetup() {}

    /**
     * Sets the process switches engines read once, when they load (TensorFlow's {@code
     * TF_ENABLE_ONEDNN_OPTS}); call before anything asks an engine for a manager or its version.
     */
    static synchronized void prepareProcess() {
        if (!prepared) {
            prepared = true;
            if (TENSORFLOW_CELLS) {
                TensorFlowCells.prepareProcess();
            }
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, EngineSetup.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}

package io.github.djlprecision.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** What the GPU benchmark mains record about where they ran. */
final class BenchEnvironment {

    private BenchEnvironment() {}

    /**
     * Loads DJL's PyTorch engine, seeds it, and records its versions and the device.
     *
     * @param result where to record
     * @param device the device the configuration runs on
     */
    static void start(ResultLine result, Device device) {
        Engine engine = Engine.getEngine("PyTorch");
        // DJL reports the LibTorch version it was told (the H200 kit says 2.7.1 to load the JNI
        // rebuilt for the machine's 2.11), so the library folder is recorded beside it
        result.put(
                "framework", "DJL " + Engine.getDjlVersion() + ", LibTorch " + engine.getVersion());
        String library = System.getenv("PYTORCH_LIBRARY_PATH");
        if (library != null) {
            result.put("libtorch_path", library);
        }
        result.put("device", device.toString());
        engine.setRandomSeed(42);
    }
}

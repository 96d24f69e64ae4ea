package io.github.djlprecision.tensorflow;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.tensorflow.engine.javacpp.JavacppUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.internal.c_api.TFE_Context;
import org.tensorflow.internal.c_api.TF_DeviceList;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.proto.ConfigProto;

/**
 * The devices TensorFlow really has in this process, as its runtime lists them (e.g. {@code
 * /job:localhost/replica:0/task:0/device:CPU:0}). DJL's own {@code Device} objects cannot tell:
 * {@code Device.of("tpu", 0)} exists on any machine.
 */
public final class TensorFlowDevices {

    /** The DJL engine name of TensorFlow. */
    public static final String ENGINE_NAME = "TensorFlow";

    private static volatile List<String> cached;

    private TensorFlowDevices() {}

    /**
     * Lists TensorFlow's devices, loading the TensorFlow engine if it is not loaded yet. The list
     * is read once per process: devices do not come and go.
     *
     * @return the full device names, in TensorFlow's order
     */
    public static List<String> list() {
        List<String> devices = cached;
        if (devices == null) {
            synchronized (TensorFlowDevices.class) {
                if (cached == null) {
                    cached = readDevices();
                }
                devices = cached;
            }
        }
        return devices;
    }

    /**
     * Returns whether TensorFlow has a device of the DJL device's type and id.
     *
     * @param device e.g. {@code Device.cpu()}, {@code Device.gpu(0)}, {@code Device.of("tpu", 0)}
     * @return true if {@link #list()} names it
     */
    public static boolean has(Device device) {
        String suffix = "/device:" + typeOf(device) + ":" + Math.max(device.getDeviceId(), 0);
        return list().stream().anyMatch(name -> name.endsWith(suffix));
    }

    /**
     * Returns TensorFlow's name for the type of a DJL device: {@code CPU}, {@code GPU}, {@code
     * TPU}.
     *
     * @param device the DJL device
     * @return the upper-case device type
     */
    public static String typeOf(Device device) {
        return device.getDeviceType().toUpperCase(Locale.ROOT);
    }

    private static List<String> readDevices() {
        Engine.getEngine(ENGINE_NAME); // loads the natives the C API below lives in
        // a context of our own: DJL keeps its eager context package-private
        TFE_Context context =
                JavacppUtils.createEagerSession(false, 2, ConfigProto.getDefaultInstance());
        TF_DeviceList deviceList = null;
        try (TF_Status status = TF_Status.newStatus()) {
            deviceList = tensorflow.TFE_ContextListDevices(context, status);
            status.throwExceptionIfNotOK();
            int count = tensorflow.TF_DeviceListCount(deviceList);
            List<String> names = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                names.add(tensorflow.TF_DeviceListName(deviceList, i, status).getString());
                status.throwExceptionIfNotOK();
            }
            return List.copyOf(names);
        } finally {
            if (deviceList != null && !deviceList.isNull()) {
                tensorflow.TF_DeleteDeviceList(deviceList); // has no deallocator of its own
            }
            context.close();
        }
    }
}

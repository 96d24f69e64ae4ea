package io.github.djlprecision.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fp32 master copies of an fp16 model's parameters, and the unscaled fp32 gradients handed
 * from the step that checked them to the optimizer that applies them. fp32 parameters (the norm
 * layers) are their own masters and have no copy here.
 */
final class MasterWeights implements AutoCloseable {

    private final Map<String, NDArray> masters = new HashMap<>();
    private final Map<String, NDArray> pendingGradients = new HashMap<>();
    private NDManager manager;

    /**
     * Copies every fp16 trainable parameter to fp32, replacing earlier copies.
     *
     * @param parent the manager the copies live under
     * @param trainable the trainable parameters
     */
    void create(NDManager parent, List<Parameter> trainable) {
        close();
        manager = parent.newSubManager();
        for (Parameter parameter : trainable) {
            NDArray array = parameter.getArray();
            if (array.getDataType() == DataType.FLOAT16) {
                // toType leaves the autograd graph, which a master must not be part of
                NDArray master = array.toType(DataType.FLOAT32, true);
                master.attach(manager);
                master.setName(parameter.getName() + "_master");
                masters.put(parameter.getId(), master);
            }
        }
    }

    /**
     * Returns the fp32 master of a parameter.
     *
     * @param parameterId the parameter's id
     * @return the master, or null when the parameter is fp32 itself
     */
    NDArray get(String parameterId) {
        return masters.get(parameterId);
    }

    /**
     * Returns the manager the masters live under, for per-step scopes.
     *
     * @return the manager
     * @throws IllegalStateException before {@link #create}
     */
    NDManager getManager() {
        if (manager == null) {
            throw new IllegalStateException(
                    "Apex O2 master weights do not exist yet: call trainer.initialize(...) first.");
        }
        return manager;
    }

    /**
     * Returns the bytes the masters take.
     *
     * @return the bytes
     */
    long bytes() {
        long bytes = 0;
        for (NDArray master : masters.values()) {
            bytes += master.size() * master.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    void offerGradient(String parameterId, NDArray gradient) {
        pendingGradients.put(parameterId, gradient);
    }

    /**
     * Takes the unscaled fp32 gradient checked for a parameter in this step.
     *
     * @param parameterId the parameter's id
     * @return the gradient, owned by the step
     * @throws IllegalStateException if the update does not come from the trainer's step
     */
    NDArray takeGradient(String parameterId) {
        NDArray gradient = pendingGradients.remove(parameterId);
        if (gradient == null) {
            throw new IllegalStateException(
                    "The Apex O2 optimizer got no checked gradient for parameter "
                            + parameterId
                            + ": it only updates inside PrecisionTrainer.step(), which unscales"
                            + " and checks the gradients first.");
        }
        return gradient;
    }

    void clearGradients() {
        pendingGradients.clear();
    }

    @Override
    public void close() {
        pendingGradients.clear();
        masters.clear();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}

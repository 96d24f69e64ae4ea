package io.github.djlprecision.tensorflow;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.tensorflow.engine.SavedModelBundle;
import ai.djl.tensorflow.engine.TfDataType;
import ai.djl.tensorflow.engine.TfNDArray;
import ai.djl.tensorflow.engine.TfSymbolBlock;
import ai.djl.tensorflow.engine.javacpp.JavacppUtils;
import ai.djl.util.Pair;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.TF_Operation;
import org.tensorflow.internal.c_api.TF_Output;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Runs a loaded DJL TensorFlow model's session once, the way DJL's predictor does (same feeds and
 * fetches, so the same optimized graph), but asks TensorFlow for the partition graphs it executed.
 */
final class SessionProbe {

    private static final String INIT_OP_KEY = "__saved_model_init_op";

    private SessionProbe() {}

    /**
     * Runs the model on a probe input and returns the run's metadata.
     *
     * @param model a model loaded by DJL's TensorFlow engine
     * @param probe the inputs in DJL's order, or null for zeros of the signature's shapes (unknown
     *     dimensions as 1)
     */
    @SuppressWarnings("try")
    static RunMetadata run(Model model, NDList probe) {
        if (!(model.getBlock() instanceof TfSymbolBlock)) {
            throw new IllegalArgumentException(
                    "Verification needs a model loaded by DJL's TensorFlow engine (a SavedModel);"
                            + " this one runs on "
                            + model.getNDManager().getEngine().getEngineName()
                            + ".");
        }
        TfSymbolBlock block = (TfSymbolBlock) model.getBlock();
        SavedModelBundle bundle = block.getSavedModelBundle();
        SignatureDef signature = findSignature(bundle, block);
        List<String> inputKeys = block.describeInput().keys();
        List<String> outputKeys = block.describeOutput().keys();
        try (NDManager scope = model.getNDManager().newSubManager();
                PointerScope pointers = new PointerScope()) {
            NDList inputs = probe != null ? probe : zeros(scope, signature, inputKeys);
            if (inputs.size() != inputKeys.size()) {
                throw new IllegalArgumentException(
                        "The probe has "
                                + inputs.size()
                                + " arrays but the model takes "
                                + inputKeys.size()
                                + ": "
                                + inputKeys);
            }
            TF_Output feeds = new TF_Output(inputKeys.size());
            PointerPointer<TF_Tensor> feedValues = new PointerPointer<>(inputKeys.size());
            List<TF_Tensor> resolved = new ArrayList<>();
            for (int i = 0; i < inputKeys.size(); i++) {
                if (!(inputs.get(i) instanceof TfNDArray)) {
                    throw new IllegalArgumentException(
                            "Probe array "
                                    + i
                                    + " was not made by a TensorFlow NDManager; create it with"
                                    + " model.getNDManager() or NDManager.newBaseManager(\"TensorFlow\").");
                }
                bind(feeds, i, bundle, signature.getInputsOrThrow(inputKeys.get(i)));
                TF_Tensor tensor =
                        JavacppUtils.resolveTFETensor(((TfNDArray) inputs.get(i)).getHandle());
                resolved.add(tensor);
                feedValues.put(i, tensor);
            }
            TF_Output fetches = new TF_Output(outputKeys.size());
            for (int i = 0; i < outputKeys.size(); i++) {
                bind(fetches, i, bundle, signature.getOutputsOrThrow(outputKeys.get(i)));
            }
            PointerPointer<TF_Tensor> fetchValues = new PointerPointer<>(outputKeys.size());
            List<TF_Operation> targets = initOps(bundle);
            PointerPointer<TF_Operation> targetOps = new PointerPointer<>(targets.size());
            for (int i = 0; i < targets.size(); i++) {
                targetOps.put(i, targets.get(i));
            }
            RunOptions options = RunOptions.newBuilder().setOutputPartitionGraphs(true).build();
            TF_Buffer runOptions = TF_Buffer.newBufferFromString(options);
            TF_Buffer metadata = TF_Buffer.newBuffer();
            TF_Status status = TF_Status.newStatus();
            tensorflow.TF_SessionRun(
                    bundle.getSession(),
                    runOptions,
                    feeds,
                    feedValues,
                    inputKeys.size(),
                    fetches,
                    fetchValues,
                    outputKeys.size(),
                    targetOps,
                    targets.size(),
                    metadata,
                    status);
            status.throwExceptionIfNotOK();
            for (int i = 0; i < outputKeys.size(); i++) {
                fetchValues.get(TF_Tensor.class, i).withDeallocator().close();
            }
            resolved.forEach(TF_Tensor::close);
            return RunMetadata.parseFrom(metadata.dataAsByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("TensorFlow returned unreadable run metadata", e);
        }
    }

    /**
     * The init ops DJL's predictor runs as targets on every call (its own list is package-private):
     * without them a model with lookup tables fails on an uninitialized table.
     */
    private static List<TF_Operation> initOps(SavedModelBundle bundle) {
        MetaGraphDef meta = bundle.getMetaGraphDef();
        List<String> names = new ArrayList<>();
        SignatureDef init = meta.getSignatureDefMap().get(INIT_OP_KEY);
        if (init != null) {
            names.add(init.getOutputsOrThrow(INIT_OP_KEY).getName());
        } else {
            for (String key : List.of("saved_model_main_op", "legacy_init_op")) {
                CollectionDef collection = meta.getCollectionDefMap().get(key);
                if (collection != null) {
                    names.addAll(collection.getNodeList().getValueList());
                    break;
                }
            }
        }
        CollectionDef tables = meta.getCollectionDefMap().get("table_initializer");
        if (tables != null) {
            names.addAll(tables.getNodeList().getValueList());
        }
        List<TF_Operation> ops = new ArrayList<>(names.size());
        for (String name : names) {
            ops.add(JavacppUtils.getGraphOperationByName(bundle.getGraph(), name).getKey());
        }
        return ops;
    }

    private static void bind(TF_Output outputs, int i, SavedModelBundle bundle, TensorInfo info) {
        Pair<TF_Operation, Integer> op =
                JavacppUtils.getGraphOperationByName(bundle.getGraph(), info.getName());
        outputs.position(i).oper(op.getKey()).index(op.getValue());
        outputs.position(0);
    }

    /** The signature whose input and output names are the block's: the one DJL loaded. */
    private static SignatureDef findSignature(SavedModelBundle bundle, TfSymbolBlock block) {
        List<String> inputs = block.describeInput().keys();
        List<String> outputs = block.describeOutput().keys();
        for (Map.Entry<String, SignatureDef> entry :
                bundle.getMetaGraphDef().getSignatureDefMap().entrySet()) {
            SignatureDef def = entry.getValue();
            if (def.getInputsMap().keySet().containsAll(inputs)
                    && def.getInputsCount() == inputs.size()
                    && def.getOutputsMap().keySet().containsAll(outputs)
                    && def.getOutputsCount() == outputs.size()) {
                return def;
            }
        }
        throw new IllegalStateException(
                "No signature of the SavedModel has the inputs " + inputs + " and outputs " + outputs);
    }

    private static NDList zeros(NDManager manager, SignatureDef signature, List<String> keys) {
        NDList zeros = new NDList(keys.size());
        for (String key : keys) {
            TensorInfo info = signature.getInputsOrThrow(key);
            long[] dims =
                    info.getTensorShape().getDimList().stream()
                            .mapToLong(TensorShapeProto.Dim::getSize)
                            .map(size -> size < 0 ? 1 : size)
                            .toArray();
            ai.djl.ndarray.types.DataType type = TfDataType.fromTf(info.getDtype().getNumber());
            if (!type.isFloating() && !type.isInteger()) {
                throw new IllegalArgumentException(
                        "Input '"
                                + key
                                + "' is "
                                + info.getDtype()
                                + ": no automatic probe for it; pass a probe input to verify.");
            }
            NDArray array = manager.zeros(new Shape(dims), type);
            zeros.add(array);
        }
        return zeros;
    }
}

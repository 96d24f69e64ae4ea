package io.github.djlprecision.tensorflow;

import ai.djl.Device;
import io.github.djlprecision.Precision;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;

/**
 * What precision a TensorFlow model really ran in, read from the graphs TensorFlow executed after
 * all of its rewrites (the partition graphs of one probe run), not from what was configured.
 *
 * <p>A compute op is a node with a floating-point type attribute {@code T} that is not plumbing
 * (arguments, identities, casts, control flow, transfers). Ops inside XLA clusters are compiled
 * away and not visible here; the report counts the clusters instead.
 */
public final class TensorFlowPrecisionReport {

    // nodes that move or relabel data; they compute nothing whose precision matters
    private static final Set<String> PLUMBING =
            Set.of(
                    "_Arg", "_Retval", "Identity", "IdentityN", "Snapshot", "StopGradient",
                    "Placeholder", "Switch", "Merge", "_XlaMerge", "Enter", "Exit",
                    "NextIteration", "_Send", "_Recv", "_HostSend", "_HostRecv", "NoOp");

    private final Precision requested;
    private final Precision inEffect;
    private final Device requestedDevice;
    private final boolean xlaRequested;
    private final int xlaClusters;
    private final Map<String, List<String>> computeOpsByType;
    private final Set<String> computeDevices;
    private final List<String> problems;

    private TensorFlowPrecisionReport(
            Precision requested,
            Device requestedDevice,
            boolean xlaRequested,
            Map<String, List<String>> computeOpsByType,
            Set<String> computeDevices,
            int xlaClusters,
            String environmentHint) {
        this.requested = requested;
        this.requestedDevice = requestedDevice;
        this.xlaRequested = xlaRequested;
        this.computeOpsByType = computeOpsByType;
        this.computeDevices = computeDevices;
        this.xlaClusters = xlaClusters;
        inEffect = classify(computeOpsByType);
        problems = new ArrayList<>();
        if (computeOpsByType.isEmpty() && xlaClusters == 0) {
            problems.add(
                    "The probe run executed no floating-point compute op, so no precision can be"
                            + " confirmed for this model.");
        } else if (inEffect != requested) {
            problems.add(
                    "Requested "
                            + requested
                            + " but "
                            + inEffect
                            + " is in effect: "
                            + describeOps()
                            + (environmentHint.isEmpty() ? "" : " " + environmentHint));
        }
        String wanted = "/device:" + TensorFlowDevices.typeOf(requestedDevice) + ":";
        if (!computeDevices.isEmpty()
                && computeDevices.stream().noneMatch(d -> d.contains(wanted))) {
            problems.add(
                    "Requested device "
                            + requestedDevice
                            + " but the ops ran on "
                            + computeDevices
                            + " (TensorFlow placed them elsewhere).");
        }
        if (xlaRequested && xlaClusters == 0) {
            problems.add(
                    "XLA JIT was requested but TensorFlow compiled no cluster (it clusters only"
                            + " groups of XLA-compilable ops of its minimum cluster size).");
        }
    }

    static TensorFlowPrecisionReport of(
            RunMetadata metadata,
            Precision requested,
            Device requestedDevice,
            boolean xlaRequested,
            String environmentHint) {
        Map<String, List<String>> opsByType = new TreeMap<>();
        Set<String> devices = new TreeSet<>();
        int clusters = 0;
        for (GraphDef graph : metadata.getPartitionGraphsList()) {
            for (NodeDef node : graph.getNodeList()) {
                if ("_XlaRun".equals(node.getOp())) {
                    clusters++;
                    devices.add(node.getDevice());
                    continue;
                }
                AttrValue type = node.getAttrMap().get("T");
                if (type == null
                        || type.getValueCase() != AttrValue.ValueCase.TYPE
                        || PLUMBING.contains(node.getOp())) {
                    continue;
                }
                String typeName = floatTypeName(type.getType());
                if (typeName != null) {
                    opsByType
                            .computeIfAbsent(typeName, k -> new ArrayList<>())
                            .add(node.getOp() + " '" + node.getName() + "'");
                    devices.add(node.getDevice());
                }
            }
        }
        opsByType.replaceAll((k, v) -> List.copyOf(v));
        return new TensorFlowPrecisionReport(
                requested,
                requestedDevice,
                xlaRequested,
                Collections.unmodifiableMap(opsByType),
                Collections.unmodifiableSet(devices),
                clusters,
                environmentHint);
    }

    private static String floatTypeName(DataType type) {
        switch (type) {
            case DT_FLOAT:
                return "float32";
            case DT_BFLOAT16:
                return "bfloat16";
            case DT_HALF:
                return "float16";
            case DT_DOUBLE:
                return "float64";
            default:
                return null;
        }
    }

    private static Precision classify(Map<String, List<String>> ops) {
        int wide = count(ops, "float32") + count(ops, "float64");
        if (count(ops, "bfloat16") > 0) {
            return wide + count(ops, "float16") == 0 ? Precision.BF16_TRUE : Precision.BF16_MIXED;
        }
        if (count(ops, "float16") > 0) {
            return wide == 0 ? Precision.HALF_TRUE : Precision.HALF_MIXED;
        }
        if (count(ops, "float64") > 0 && count(ops, "float32") == 0) {
            return Precision.DOUBLE_TRUE;
        }
        return Precision.FLOAT_TRUE;
    }

    private static int count(Map<String, List<String>> ops, String type) {
        return ops.getOrDefault(type, List.of()).size();
    }

    /**
     * Returns the precision that was asked for.
     *
     * @return the requested precision
     */
    public Precision getRequested() {
        return requested;
    }

    /**
     * Returns the precision the executed graph really computes in: {@code bf16-mixed} when some
     * compute ops run in bfloat16 and some in float32, {@code bf16-true} when all run in bfloat16,
     * {@code 32-true} when none runs in 16 bits.
     *
     * @return the precision in effect
     */
    public Precision getPrecisionInEffect() {
        return inEffect;
    }

    /**
     * Returns the compute ops of the executed graph by data type, e.g. {@code bfloat16 ->
     * [_MklNativeFusedMatMul 'BiasAdd']}.
     *
     * @return op type and node name, keyed by {@code float32}, {@code bfloat16}, {@code float16}
     *     or {@code float64}
     */
    public Map<String, List<String>> getComputeOpsByType() {
        return computeOpsByType;
    }

    /**
     * Returns the devices the compute ops and XLA clusters ran on.
     *
     * @return full TensorFlow device names
     */
    public Set<String> getComputeDevices() {
        return computeDevices;
    }

    /**
     * Returns how many XLA clusters the probe run executed.
     *
     * @return the number of {@code _XlaRun} nodes; 0 without XLA
     */
    public int getXlaClusters() {
        return xlaClusters;
    }

    /**
     * Returns whether XLA JIT was requested.
     *
     * @return true if requested
     */
    public boolean isXlaRequested() {
        return xlaRequested;
    }

    /**
     * Returns every way the run differs from the request.
     *
     * @return the problems; empty when the request is in effect
     */
    public List<String> getProblems() {
        return Collections.unmodifiableList(problems);
    }

    /**
     * Returns whether the requested precision, device and XLA setting are all in effect.
     *
     * @return true if nothing differs
     */
    public boolean isAsRequested() {
        return problems.isEmpty();
    }

    /**
     * Returns what runs, in one line, e.g. {@code "bf16-mixed on
     * /job:localhost/replica:0/task:0/device:CPU:0: bfloat16 1 op, float32 1 op"}.
     *
     * @return the path in effect
     */
    public String getPath() {
        return inEffect
                + " on "
                + (computeDevices.isEmpty() ? "no device" : String.join(", ", computeDevices))
                + ": "
                + describeOps()
                + (xlaClusters > 0 ? ", " + xlaClusters + " XLA cluster(s)" : "");
    }

    private String describeOps() {
        if (computeOpsByType.isEmpty()) {
            return "no compute op outside XLA clusters";
        }
        List<String> parts = new ArrayList<>();
        computeOpsByType.forEach((type, ops) -> parts.add(type + " " + ops));
        return String.join(", ", parts);
    }

    @Override
    public String toString() {
        return "requested "
                + requested
                + (xlaRequested ? " with XLA" : "")
                + " on "
                + requestedDevice
                + "; in effect "
                + getPath()
                + (problems.isEmpty() ? "" : "; problems: " + problems);
    }
}

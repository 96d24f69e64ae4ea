package io.github.djlprecision.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one line a GPU benchmark process prints for {@code gpu-bench.py}: {@code RESULT } and a JSON
 * object with the configuration, {@code status} ({@code OK} or {@code FAILED}) and either the
 * figures or {@code error}. {@code train_torch.py} and {@code infer_torch.py} print the same
 * fields.
 */
final class ResultLine {

    /** Prefix the driver looks for. */
    static final String PREFIX = "RESULT ";

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

    private final Map<String, Object> fields = new LinkedHashMap<>();

    /**
     * Starts a result with the fields that name the configuration.
     *
     * @param configuration suite, model, side, precision or path, ... in print order
     */
    ResultLine(Map<String, Object> configuration) {
        fields.putAll(configuration);
        fields.put("status", "OK");
    }

    /**
     * Adds or replaces a field.
     *
     * @param name the field
     * @param value a string, number, boolean, list or map
     * @return this
     */
    ResultLine put(String name, Object value) {
        fields.put(name, value);
        return this;
    }

    /**
     * Marks the configuration failed with the error's first line (class and message).
     *
     * @param error what went wrong
     */
    void fail(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? "" : root.getMessage().strip();
        fields.put("status", "FAILED");
        fields.put("error", root.getClass().getName() + ": " + message.replace('\n', ' '));
    }

    /**
     * Returns whether the configuration ran.
     *
     * @return true unless {@link #fail} was called
     */
    boolean ok() {
        return "OK".equals(fields.get("status"));
    }

    /**
     * Returns a field.
     *
     * @param name the field
     * @return its value, or null
     */
    Object get(String name) {
        return fields.get(name);
    }

    /** Prints the line to standard output. */
    void print() {
        System.out.println(PREFIX + GSON.toJson(fields));
        System.out.flush();
    }
}

package io.github.djlprecision.compat;

/**
 * The output of one layer in the probe forward pass.
 *
 * @param name the layer's path in the model, e.g. {@code "01Linear"}
 * @param kind the layer's class, or the lambda's name
 * @param dataType the output's data type, as proven (see {@link DataTypes#describe})
 * @param bytes the output's size in bytes
 */
public record LayerOutput(String name, String kind, String dataType, long bytes) {}

package io.github.djlprecision.pytorch;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djlprecision.Precision;
import io.github.djlprecision.WeightConversion;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parameter types a precision's inference runs as they are, and the refusal for a model whose
 * parameters exist in another type (e.g. a checkpoint saved in {@code 32-true} asked to run in
 * {@code 64-true}): DJL cannot convert existing parameters ({@code Block.cast} throws), and a
 * forward over them fails inside LibTorch ("mat1 and mat2 must have the same dtype"). Only {@code
 * 16-true} and {@code 16-mixed} convert, from fp32 to fp16, and say so in their path.
 */
final class InferenceParameterTypes {

    private InferenceParameterTypes() {}

    /**
     * Returns the floating types a recipe computes with as they are.
     *
     * @param recipe the precision whose inference recipe runs (an Apex level's equivalent)
     * @return the types
     */
    static Set<DataType> accepted(Precision recipe) {
        if (recipe == Precision.HALF_MIXED) {
            // autocast casts fp32 weights per call and finds converted ones in fp16
            return Set.of(DataType.FLOAT32, DataType.FLOAT16);
        }
        if (recipe == Precision.DOUBLE_TRUE || recipe == Precision.HALF_TRUE) {
            return Set.of(recipe.parameterType());
        }
        return Set.of(DataType.FLOAT32);
    }

    /**
     * Returns why a model's parameters cannot run in a recipe, if they cannot.
     *
     * @param model a model whose parameters exist
     * @param recipe the precision whose inference recipe runs
     * @param what the precision as the user asked for it, e.g. {@code "16-mixed amp_level O0"}
     * @return the problem, naming the first parameter of another type and what to run instead
     */
    static Optional<String> problem(Model model, Precision recipe, String what) {
        Set<DataType> accepted = accepted(recipe);
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            DataType type = pair.getValue().getArray().getDataType();
            if (!type.isFloating() || accepted.contains(type)) {
                continue;
            }
            String saved = model.getProperty("precision.value");
            String converted = model.getProperty(WeightConversion.PROPERTY);
            TreeSet<String> names = new TreeSet<>();
            accepted.forEach(t -> names.add(t.toString()));
            return Optional.of(
                    "Parameter "
                            + pair.getKey()
                            + " holds "
                            + type
                            + " values"
                            + (saved == null
                                    ? ""
                                    : " (the model was saved training in " + saved + ")")
                            + (converted == null
                                    ? ""
                                    : " (converted for inference: model property "
                                            + WeightConversion.PROPERTY
                                            + "="
                                            + converted
                                            + ")")
                            + ", but "
                            + what
                            + " runs inference on "
                            + String.join(" or ", names)
                            + " parameters, and DJL cannot convert existing ones (Block.cast"
                            + " throws). "
                            + fix(type));
        }
        return Optional.empty();
    }

    private static String fix(DataType type) {
        switch (type) {
            case FLOAT64:
                return "Run it in '64-true', or load a model saved with float32 parameters.";
            case FLOAT16:
                return "Run it in '16-true' or '16-mixed', or load the float32 model it came from.";
            default:
                return "Run it in '32-true', '16-mixed', 'bf16-mixed' or '16-true' (the last two"
                        + " cast or convert float32 weights to 16 bits), or load a model saved"
                        + " in the precision you want.";
        }
    }
}

package io.github.djlprecision.tensorflow;

/**
 * Thrown after a model loads when the precision, device or XLA setting asked for is not what
 * TensorFlow really runs, e.g. the bfloat16 rewrite converted no op. The report says what runs
 * instead.
 */
public class PrecisionNotInEffectException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient TensorFlowPrecisionReport report;

    /**
     * Creates the exception from a verification report whose request is not in effect.
     *
     * @param report the report
     */
    public PrecisionNotInEffectException(TensorFlowPrecisionReport report) {
        super(String.join(" ", report.getProblems()));
        this.report = report;
    }

    /**
     * Returns the verification report.
     *
     * @return what was requested and what is in effect
     */
    public TensorFlowPrecisionReport getReport() {
        return report;
    }
}

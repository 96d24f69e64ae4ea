package io.github.djlprecision;

import java.util.List;

/**
 * Thrown when a precision cannot run on the engine, device or model it was asked for. It is thrown
 * before any native work starts, and lists every problem found at once.
 */
public class UnsupportedPrecisionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Every problem found, in the order found. */
    private final List<String> problems;

    /**
     * Creates the exception for one problem.
     *
     * @param problem what cannot run, and what to use instead
     */
    public UnsupportedPrecisionException(String problem) {
        this(List.of(problem));
    }

    /**
     * Creates the exception for several problems found together.
     *
     * @param problems each problem, with what to use instead
     */
    public UnsupportedPrecisionException(List<String> problems) {
        super(problems.size() == 1 ? problems.get(0) : "- " + String.join("\n- ", problems));
        this.problems = List.copyOf(problems);
    }

    /**
     * Returns every problem found.
     *
     * @return the problems, in the order they were found
     */
    public List<String> getProblems() {
        return problems;
    }
}

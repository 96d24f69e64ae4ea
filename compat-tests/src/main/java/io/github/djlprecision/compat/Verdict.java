package io.github.djlprecision.compat;

/** The outcome of one matrix cell. */
public enum Verdict {
    /** The cell ran and every check held. */
    PASS,
    /** The engine or device refused the precision with the designed error, as expected. */
    UNSUPPORTED,
    /** A check failed, an unexpected error occurred, or the outcome differs from the table. */
    FAIL
}

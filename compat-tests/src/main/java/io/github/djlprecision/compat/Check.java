package io.github.djlprecision.compat;

/**
 * One invariant a cell checked.
 *
 * @param name what was checked, e.g. {@code "parameter dtypes"}
 * @param passed whether it held
 * @param detail what was seen
 */
public record Check(String name, boolean passed, String detail) {

    @Override
    public String toString() {
        return (passed ? "ok   " : "FAIL ") + name + ": " + detail;
    }
}

package io.github.djlprecision.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;

/** What a JUnit test of one matrix cell asserts, shared by every matrix test. */
public final class CellAssertions {

    private CellAssertions() {}

    /**
     * Passes for a PASS with every check held or an UNSUPPORTED the table expects; skips (aborts) a
     * known failure that fails as the table lists it; fails otherwise, describing the cell.
     *
     * @param result the cell's result
     */
    public static void assertAsExpected(CellResult result) {
        Assumptions.assumeFalse(result.knownFailure(), () -> "known failure: " + result.describe());
        assertNotEquals(Verdict.FAIL, result.verdict(), result::describe);
        assertEquals(result.expected(), result.verdict(), result::describe);
        if (result.verdict() == Verdict.PASS) {
            assertTrue(
                    result.failedChecks().isEmpty() && !result.checks().isEmpty(),
                    result::describe);
        }
    }
}

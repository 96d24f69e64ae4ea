package io.github.djlprecision.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns what a cell did into its verdict: checks decide PASS or FAIL, a refusal is UNSUPPORTED only
 * when the table expects it with that designed message, and any disagreement with the table is a
 * FAIL that says which row to look at.
 */
final class CellJudge {

    private CellJudge() {}

    static CellResult judge(
            MatrixCell cell, Optional<Expectations.Expectation> expectation, CellRun run) {
        Verdict expected = expectation.map(Expectations.Expectation::verdict).orElse(null);
        List<Check> checks = run.checks();
        if (run.refusal() != null) {
            String message = run.refusal();
            if (expected == Verdict.UNSUPPORTED) {
                if (expectation.get().reason().matcher(message).find()) {
                    return new CellResult(
                            cell,
                            Verdict.UNSUPPORTED,
                            message,
                            expected,
                            null,
                            null,
                            checks,
                            null,
                            false);
                }
                return fail(
                        cell,
                        expected,
                        run,
                        "refused, but not with the designed error: expected /"
                                + expectation.get().reason()
                                + "/, got: "
                                + message);
            }
            return fail(
                    cell,
                    expected,
                    run,
                    (expected == null
                                    ? "no expectation for this cell; "
                                    : expected == Verdict.FAIL
                                            ? "expected a known failure, but "
                                            : "expected PASS, but ")
                            + "refused: "
                            + message);
        }
        String failure = null;
        if (run.error() != null) {
            failure = "unexpected " + run.error();
        } else {
            List<String> failed = new ArrayList<>();
            checks.stream()
                    .filter(c -> !c.passed())
                    .forEach(c -> failed.add(c.name() + " (" + c.detail() + ")"));
            if (!failed.isEmpty()) {
                failure = "failed checks: " + String.join("; ", failed);
            }
        }
        if (failure != null) {
            if (expected == Verdict.FAIL) {
                if (expectation.get().reason().matcher(failure).find()) {
                    return new CellResult(
                            cell,
                            Verdict.FAIL,
                            failure,
                            expected,
                            run.mode(),
                            run.path(),
                            checks,
                            run.metrics(),
                            true);
                }
                return fail(
                        cell,
                        expected,
                        run,
                        "failed, but not as the table's known failure /"
                                + expectation.get().reason()
                                + "/: "
                                + failure);
            }
            return fail(cell, expected, run, failure);
        }
        if (expected == null) {
            return fail(
                    cell,
                    null,
                    run,
                    "ran and passed every check, but the expectation table has no row for "
                            + cell.engine()
                            + " "
                            + cell.variant().label()
                            + " "
                            + cell.deviceType()
                            + ": add one");
        }
        if (expected == Verdict.UNSUPPORTED) {
            return fail(
                    cell,
                    expected,
                    run,
                    "ran and passed every check, but the expectation table says UNSUPPORTED: set"
                            + " its row to PASS");
        }
        if (expected == Verdict.FAIL) {
            return fail(
                    cell,
                    expected,
                    run,
                    "ran and passed every check, but the expectation table lists a known failure:"
                            + " set its row to PASS");
        }
        return new CellResult(
                cell,
                Verdict.PASS,
                "",
                expected,
                run.mode(),
                run.path(),
                checks,
                run.metrics(),
                false);
    }

    private static CellResult fail(MatrixCell cell, Verdict expected, CellRun run, String reason) {
        return new CellResult(
                cell,
                Verdict.FAIL,
                reason,
                expected,
                run.mode(),
                run.path(),
                run.checks(),
                run.metrics(),
                false);
    }
}

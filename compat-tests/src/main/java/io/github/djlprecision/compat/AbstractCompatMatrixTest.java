package io.github.djlprecision.compat;

import io.github.djlprecision.compat.report.CompatReport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * The compatibility matrix as a JUnit 5 test class: one dynamic test per cell, and a report when
 * the class is done. Subclass it in your own test sources with your model and data:
 *
 * <pre>{@code
 * class MyModelCompatTest extends AbstractCompatMatrixTest {
 *     protected CompatWorkload workload() { return new MyWorkload(); }
 *
 *     protected CompatMatrix.Builder configure(CompatMatrix.Builder matrix) {
 *         return matrix.optLossTolerance("bf16-mixed", 0.05);
 *     }
 * }
 * }</pre>
 *
 * <p>A cell's test fails when its verdict is FAIL; a PASS or an UNSUPPORTED that the expectation
 * table allows (with its designed error) passes; a known failure the table lists (a FAIL row whose
 * reason matches) is skipped. The system properties of {@link Selection} select a subset, e.g.
 * {@code mvn test -Dcompat.precisions=16-mixed}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractCompatMatrixTest {

    private final List<CellResult> results = Collections.synchronizedList(new ArrayList<>());
    private CompatMatrix matrix;

    /**
     * Returns the workload every cell trains.
     *
     * @return the workload
     */
    protected abstract CompatWorkload workload();

    /**
     * Adjusts the matrix: expectations, tolerances, inference only. The selection from system
     * properties is already set.
     *
     * @param matrix the builder
     * @return the builder
     */
    protected CompatMatrix.Builder configure(CompatMatrix.Builder matrix) {
        return matrix;
    }

    /**
     * Returns where the report goes.
     *
     * @param workloadName the workload's name
     * @return the folder, {@code target/compat-report/junit/<workload>} by default
     */
    protected Path reportDirectory(String workloadName) {
        return Paths.get("target", "compat-report", "junit", workloadName);
    }

    /**
     * Returns one test per selected cell.
     *
     * @return the cells' tests
     */
    @TestFactory
    Stream<DynamicTest> compatibilityMatrix() {
        matrix =
                configure(
                                CompatMatrix.builder(workload())
                                        .optSelection(Selection.fromSystemProperties()))
                        .build();
        return matrix.cells().stream()
                .map(cell -> DynamicTest.dynamicTest(cell.id(), () -> check(matrix.run(cell))));
    }

    private void check(CellResult result) {
        results.add(result);
        CellAssertions.assertAsExpected(result);
    }

    /**
     * Writes the report of the cells that ran.
     *
     * @throws IOException if the report cannot be written
     */
    @AfterAll
    void writeReport() throws IOException {
        if (matrix != null && !results.isEmpty()) {
            List<CellResult> ordered = new ArrayList<>();
            for (MatrixCell cell : matrix.cells()) {
                results.stream()
                        .filter(r -> r.cell().equals(cell))
                        .findFirst()
                        .ifPresent(ordered::add);
            }
            MatrixResult result = matrix.result(ordered);
            onReport(result, CompatReport.write(result, reportDirectory(result.workloadName())));
        }
    }

    /**
     * Called once the report is written, e.g. to publish it or check it.
     *
     * @param result the cells' results
     * @param html the report's HTML page; {@code report.md} and the plots lie beside it
     * @throws IOException if reading or publishing the report fails
     */
    protected void onReport(MatrixResult result, Path html) throws IOException {}
}

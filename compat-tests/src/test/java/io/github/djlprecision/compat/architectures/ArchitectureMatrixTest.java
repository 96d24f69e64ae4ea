package io.github.djlprecision.compat.architectures;

import io.github.djlprecision.compat.CellAssertions;
import io.github.djlprecision.compat.CellResult;
import io.github.djlprecision.compat.CompatMatrix;
import io.github.djlprecision.compat.MatrixCell;
import io.github.djlprecision.compat.MatrixResult;
import io.github.djlprecision.compat.Selection;
import io.github.djlprecision.compat.report.CompatReport;
import io.github.djlprecision.compat.report.ReportContents;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The architecture axis in the test suite: every architecture x every precision and Apex level x
 * every device of this machine (or those {@code -Dcompat.devices} / {@code -Dcompat.precisions}
 * select), one test per cell, checked against {@link ArchitectureExpectations}. The report goes to
 * {@code target/compat-report/junit/architectures}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchitectureMatrixTest {

    private final Map<Architecture, CompatMatrix> matrices = new LinkedHashMap<>();
    private final Map<Architecture, List<CellResult>> results = new LinkedHashMap<>();

    @TestFactory
    Stream<DynamicContainer> architectures() {
        Selection selection = Selection.fromSystemProperties();
        List<DynamicContainer> containers = new ArrayList<>();
        for (Architecture architecture : Architecture.values()) {
            CompatMatrix matrix = ArchitectureMatrix.of(architecture, selection, null);
            matrices.put(architecture, matrix);
            containers.add(
                    DynamicContainer.dynamicContainer(
                            architecture.id(),
                            matrix.cells().stream()
                                    .map(
                                            cell ->
                                                    DynamicTest.dynamicTest(
                                                            cell.id(),
                                                            () -> check(architecture, cell)))));
        }
        return containers.stream();
    }

    private void check(Architecture architecture, MatrixCell cell) {
        CellResult result = matrices.get(architecture).run(cell);
        results.computeIfAbsent(architecture, a -> new ArrayList<>()).add(result);
        CellAssertions.assertAsExpected(result);
    }

    @AfterAll
    void writeReport() throws IOException {
        List<MatrixResult> axis = new ArrayList<>();
        matrices.forEach(
                (architecture, matrix) -> {
                    List<CellResult> ran = results.getOrDefault(architecture, List.of());
                    if (!ran.isEmpty()) {
                        axis.add(matrix.result(ran));
                    }
                });
        if (!axis.isEmpty()) {
            CompatReport.write(
                    new ReportContents("Architecture axis", List.of(), List.of(), axis),
                    Paths.get("target", "compat-report", "junit", "architectures"));
        }
    }
}

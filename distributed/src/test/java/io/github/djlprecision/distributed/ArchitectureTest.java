package io.github.djlprecision.distributed;

import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.ArchTests;
import com.tngtech.archunit.lang.ArchRule;

import io.github.djlprecision.ProjectArchitecture;

/**
 * This module's classes with the core's (and the PyTorch engine's, a test dependency): no import
 * cycle and the layering of {@link ProjectArchitecture}.
 */
@AnalyzeClasses(
        packages = ProjectArchitecture.ROOT,
        importOptions = ProjectArchitecture.MainClassesOnly.class)
class ArchitectureTest {

    @ArchTest static final ArchTests PROJECT_RULES = ArchTests.in(ProjectArchitecture.class);

    @ArchTest
    static final ArchRule THIS_MODULE_IS_ANALYSED =
            ProjectArchitecture.analyses("io.github.djlprecision.distributed");
}

package io.github.djlprecision;

import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.ArchTests;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The core's packages: no import cycle, the layering of {@link ProjectArchitecture}, no
 * Resilience4j.
 */
@AnalyzeClasses(
        packages = ProjectArchitecture.ROOT,
        importOptions = ProjectArchitecture.MainClassesOnly.class)
class ArchitectureTest {

    @ArchTest static final ArchTests PROJECT_RULES = ArchTests.in(ProjectArchitecture.class);

    @ArchTest
    static final ArchRule THIS_MODULE_IS_ANALYSED =
            ProjectArchitecture.analyses("io.github.djlprecision");
}

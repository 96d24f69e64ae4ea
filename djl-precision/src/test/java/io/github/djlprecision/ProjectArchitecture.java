package io.github.djlprecision;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

import java.util.ArrayList;
import java.util.List;

/**
 * The layering of the project's main code, as rules that every published module's {@code
 * ArchitectureTest} checks against the project classes on its test class path: its own and those of
 * the modules it depends on (so the engines' and the breaker's tests see the core too).
 *
 * <pre>
 * root (value types) &lt;- spi &lt;- scaling &lt;- plugins &lt;- training, inference
 *                                              &lt;- pytorch, tensorflow, breaker
 * root, spi &lt;- distributed (processes and hosts)
 * </pre>
 *
 * Nothing depends on {@code training}, {@code inference}, an engine, the breaker or {@code
 * distributed}; only the breaker uses Resilience4j, and its public API names none of
 * Resilience4j's types.
 */
public final class ProjectArchitecture {

    /** The root package of every module's classes. */
    public static final String ROOT = "io.github.djlprecision";

    private static final String RESILIENCE4J = "io.github.resilience4j..";

    /** No import cycle among the project's packages, the root package included. */
    @ArchTest
    public static final ArchRule NO_PACKAGE_CYCLES =
            slices().assignedFrom(new EveryPackage()).should().beFreeOfCycles();

    /** Which package may use which. */
    @ArchTest
    public static final ArchRule LAYERS =
            layeredArchitecture()
                    .consideringOnlyDependenciesInLayers()
                    .withOptionalLayers(true)
                    .layer("root")
                    .definedBy(ROOT)
                    .layer("spi")
                    .definedBy(ROOT + ".spi..")
                    .layer("scaling")
                    .definedBy(ROOT + ".scaling..")
                    .layer("plugins")
                    .definedBy(ROOT + ".plugins..")
                    .layer("training")
                    .definedBy(ROOT + ".training..")
                    .layer("inference")
                    .definedBy(ROOT + ".inference..")
                    .layer("pytorch")
                    .definedBy(ROOT + ".pytorch..")
                    .layer("tensorflow")
                    .definedBy(ROOT + ".tensorflow..")
                    .layer("breaker")
                    .definedBy(ROOT + ".breaker..")
                    .layer("distributed")
                    .definedBy(ROOT + ".distributed..")
                    .whereLayer("root")
                    .mayNotAccessAnyLayer()
                    .whereLayer("spi")
                    .mayOnlyAccessLayers("root")
                    .whereLayer("scaling")
                    .mayOnlyAccessLayers("root", "spi")
                    .whereLayer("plugins")
                    .mayOnlyAccessLayers("root", "spi", "scaling")
                    .whereLayer("training")
                    .mayOnlyAccessLayers("root", "spi", "scaling", "plugins")
                    .whereLayer("training")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("inference")
                    .mayOnlyAccessLayers("root", "spi", "scaling", "plugins")
                    .whereLayer("inference")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("pytorch")
                    .mayOnlyAccessLayers("root", "spi", "scaling", "plugins")
                    .whereLayer("pytorch")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("tensorflow")
                    .mayOnlyAccessLayers("root", "spi", "scaling", "plugins")
                    .whereLayer("tensorflow")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("breaker")
                    .mayOnlyAccessLayers("root", "spi", "scaling", "plugins")
                    .whereLayer("breaker")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("distributed")
                    .mayOnlyAccessLayers("root", "spi")
                    .whereLayer("distributed")
                    .mayNotBeAccessedByAnyLayer()
                    // a new package must be placed in the layering before it is used
                    .ensureAllClassesAreContainedInArchitecture();

    /** Users who do not turn the breaker on do not need Resilience4j. */
    @ArchTest
    public static final ArchRule RESILIENCE4J_ONLY_IN_THE_BREAKER =
            noClasses()
                    .that()
                    .resideOutsideOfPackage(ROOT + ".breaker..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAPackage(RESILIENCE4J)
                    .allowEmptyShould(false);

    /** The breaker's public types are the project's own: its users never see Resilience4j. */
    @ArchTest
    public static final ArchRule NO_RESILIENCE4J_IN_THE_PUBLIC_API =
            classes()
                    .that()
                    .arePublic()
                    .should(new NameInPublicApiNoTypeOf("io.github.resilience4j"))
                    .allowEmptyShould(false);

    private ProjectArchitecture() {}

    /**
     * A rule that fails when the import holds no main class of a package, so that a module's test
     * cannot pass by analysing nothing of its own.
     *
     * @param packageName the module's package, e.g. {@code io.github.djlprecision.pytorch}
     * @return the rule
     */
    public static ArchRule analyses(String packageName) {
        return classes()
                .that()
                .resideInAPackage(packageName)
                .should(
                        new ArchCondition<JavaClass>("be imported as main code") {
                            @Override
                            public void check(JavaClass item, ConditionEvents events) {}
                        })
                .allowEmptyShould(false);
    }

    /** Leaves out test classes, also those that other modules' test jars bring. */
    public static final class MainClassesOnly implements ImportOption {

        private static final ImportOption NO_TEST_FOLDERS = new DoNotIncludeTests();

        @Override
        public boolean includes(Location location) {
            return NO_TEST_FOLDERS.includes(location) && !location.contains("-tests.jar");
        }
    }

    /** Every package its own slice. */
    private static final class EveryPackage implements SliceAssignment {

        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String name = javaClass.getPackageName();
            return name.equals(ROOT) || name.startsWith(ROOT + ".")
                    ? SliceIdentifier.of(name)
                    : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "every package of " + ROOT;
        }
    }

    /**
     * Fails for a public class whose supertypes, or public or protected fields, constructors or
     * methods, name a type of a package: as a parameter, return, thrown or field type, also as a
     * type argument.
     */
    private static final class NameInPublicApiNoTypeOf extends ArchCondition<JavaClass> {

        private final String packagePrefix;

        NameInPublicApiNoTypeOf(String packagePrefix) {
            super("name no type of " + packagePrefix + " in their public API");
            this.packagePrefix = packagePrefix;
        }

        @Override
        public void check(JavaClass javaClass, ConditionEvents events) {
            List<JavaType> types = new ArrayList<>();
            javaClass.getSuperclass().ifPresent(types::add);
            types.addAll(javaClass.getInterfaces());
            report(javaClass, javaClass.getName() + " extends or implements", types, events);
            for (JavaMember member : javaClass.getMembers()) {
                if (!member.getModifiers().contains(JavaModifier.PUBLIC)
                        && !member.getModifiers().contains(JavaModifier.PROTECTED)) {
                    continue;
                }
                List<JavaType> used = new ArrayList<>();
                if (member instanceof JavaField) {
                    used.add(((JavaField) member).getType());
                } else if (member instanceof JavaCodeUnit) {
                    JavaCodeUnit code = (JavaCodeUnit) member;
                    used.add(code.getReturnType());
                    used.addAll(code.getParameterTypes());
                    used.addAll(code.getThrowsClause().getTypes());
                }
                report(javaClass, member.getFullName(), used, events);
            }
        }

        private void report(
                JavaClass owner, String where, List<JavaType> types, ConditionEvents events) {
            for (JavaType type : types) {
                for (JavaClass raw : type.getAllInvolvedRawTypes()) {
                    if (raw.getName().startsWith(packagePrefix + ".")) {
                        events.add(
                                SimpleConditionEvent.violated(
                                        owner, where + " names " + raw.getName()));
                    }
                }
            }
        }
    }
}

package org.panagrad.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The engine's packages depend one way: the IR ({@code graph}) and the kernels at the bottom, the ops on them,
 * then derivatives, runtime and compiler, and the libraries built on programs (nn, optim, analysis) on top.
 * A new package must be added to {@link #ALLOWED} with what it may use.
 */
class ArchitectureTest {
    private static final String ROOT = "org.panagrad.";

    /** Each package and the other engine packages it may depend on (third-party and JDK classes are free). */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("kernels", Set.of()),
            Map.entry("io", Set.of()),
            Map.entry("io.tensorboard", Set.of("io")),
            Map.entry("graph", Set.of()),
            Map.entry("ops", Set.of("graph", "kernels")),
            Map.entry("ops.fused", Set.of("graph", "kernels", "ops")),
            Map.entry("autodiff", Set.of("graph", "ops")),
            Map.entry("runtime", Set.of("graph", "kernels")),
            Map.entry("compiler", Set.of("graph", "ops", "ops.fused", "runtime")),
            Map.entry("nn", Set.of("graph", "ops", "runtime", "io")),
            Map.entry("nn.zoo", Set.of("graph", "ops", "runtime", "nn")),
            Map.entry("optim", Set.of("graph", "kernels", "ops", "ops.fused", "autodiff", "compiler", "runtime", "io")),
            Map.entry("analysis", Set.of("graph", "kernels", "ops", "autodiff", "compiler", "runtime", "io")),
            Map.entry("onnx", Set.of("graph", "ops", "runtime", "io", "nn")),
            Map.entry("optim.secondorder", Set.of("graph", "kernels", "ops", "autodiff", "compiler", "runtime", "io",
                    "analysis")),
            Map.entry("curvature", Set.of("graph", "kernels", "ops", "ops.fused", "autodiff", "compiler", "runtime", "io", "nn",
                    "analysis", "optim", "optim.secondorder")));

    private static final JavaClasses ENGINE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.panagrad");

    @Test
    void everyPackageIsInTheLayering() {
        Set<String> unknown = new TreeSet<>();
        for (JavaClass c : ENGINE) {
            String p = enginePackage(c);
            if (p != null && !ALLOWED.containsKey(p)) unknown.add(p);
        }
        if (!unknown.isEmpty()) {
            throw new AssertionError("packages " + unknown + " are not in ArchitectureTest.ALLOWED: say what each may use");
        }
    }

    @Test
    void packagesDependOnlyOnTheLayersBelow() {
        classes().should(dependOnlyOnAllowedPackages()).check(ENGINE);
    }

    /**
     * Every SIMD kernel takes its species from {@code Simd.FLOAT} (or derives one from it, withLanes): a second
     * float species in one JVM (SPECIES_PREFERRED at -Dpanagrad.vectorBits=256 on AVX-512) made JDK 17 box vectors.
     */
    @Test
    void onlySimdNamesAVectorSpecies() {
        noClasses().that().doNotHaveFullyQualifiedName("org.panagrad.kernels.Simd")
                .should().accessFieldWhere(DescribedPredicate.describe("a Vector API SPECIES_ constant",
                        a -> a.getTarget().getOwner().getName().startsWith("jdk.incubator.vector.")
                                && a.getTarget().getName().startsWith("SPECIES_")))
                .check(ENGINE);
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.panagrad.(**)").should().beFreeOfCycles().check(ENGINE);
    }

    private static ArchCondition<JavaClass> dependOnlyOnAllowedPackages() {
        return new ArchCondition<>("depend only on the engine packages ALLOWED lists for their own") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                String own = enginePackage(c);
                Set<String> allowed = ALLOWED.getOrDefault(own, Set.of());
                c.getDirectDependenciesFromSelf().forEach(d -> {
                    String target = enginePackage(d.getTargetClass());
                    if (target != null && !target.equals(own) && !allowed.contains(target)) {
                        events.add(SimpleConditionEvent.violated(d, own + " may not use " + target + ": " + d.getDescription()));
                    }
                });
            }
        };
    }

    /** "ops.fused" for org.panagrad.ops.fused.X, or null outside the engine. */
    private static String enginePackage(JavaClass c) {
        String p = c.getPackageName();
        return p.startsWith(ROOT) ? p.substring(ROOT.length()) : null;
    }
}

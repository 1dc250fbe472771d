package org.panagrad.testing;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.panagrad.graph.Op;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the classpath holds: every concrete {@link Op} of the engine, and every {@link OpCases} family of the
 * tests, found by scanning class files (ArchUnit's importer), so that neither list is kept by hand.
 */
public final class OpCatalog {
    private OpCatalog() {}

    /** Imported once per JVM: the two tests that use it share it. */
    private static final Map<ImportOption, JavaClasses> IMPORTED = new ConcurrentHashMap<>();

    private static List<JavaClass> scan(ImportOption option, Class<?> type) {
        JavaClasses classes = IMPORTED.computeIfAbsent(option, o -> new ClassFileImporter().withImportOption(o).importPackages("org.panagrad"));
        List<JavaClass> found = new ArrayList<>();
        for (JavaClass c : classes) {
            if (c.isAssignableTo(type) && !c.isInterface() && !c.getModifiers().contains(JavaModifier.ABSTRACT)) found.add(c);
        }
        found.sort(Comparator.comparing(JavaClass::getName));
        return found;
    }

    /** Names of the engine's concrete op classes, sorted. */
    public static List<String> ops() {
        return scan(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS, Op.class).stream().map(JavaClass::getName).toList();
    }

    /** An instance of every case family in the test sources, sorted by class name. */
    public static List<OpCases> families() {
        List<OpCases> families = new ArrayList<>();
        for (JavaClass c : scan(ImportOption.Predefined.ONLY_INCLUDE_TESTS, OpCases.class)) {
            try {
                families.add((OpCases) c.reflect().getConstructor().newInstance());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(c.getName() + " needs a public no-argument constructor to be run as OpCases", e);
            }
        }
        return families;
    }
}

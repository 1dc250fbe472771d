package org.panagrad.ops;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.panagrad.testing.CompiledCheck;
import org.panagrad.testing.GradCheck;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCatalog;
import org.panagrad.testing.OpCases;

import java.util.Random;
import java.util.stream.Stream;

/**
 * Every case of every {@link OpCases} family on the test classpath: its derivative rules to second order in
 * float64 against finite differences ({@link GradCheck}), then its float32 kernels, derivatives and HVPs against
 * the float64 reference ({@link CompiledCheck}).
 */
class OpGradCheckTest {
    @TestFactory
    Stream<DynamicContainer> everyCaseOfEveryFamily() {
        return OpCatalog.families().stream().map(family -> DynamicContainer.dynamicContainer(
                family.getClass().getSimpleName(), family.cases().stream().map(OpGradCheckTest::test)));
    }

    private static DynamicTest test(OpCase c) {
        return DynamicTest.dynamicTest(c.name(), () -> {
            Random rnd = new Random(c.name().hashCode());
            OpCase.Built b = c.build(rnd);
            GradCheck.check(c.name(), b.y(), b.xs(), b.feed(), rnd, 2);
            CompiledCheck.check(c.name(), b.y(), b.xs(), b.feed(), rnd);
        });
    }
}

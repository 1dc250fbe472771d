package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * Runs every lanewise operator and lane reduction of the Vector API once, at start-up, on float and int lanes
 * of the kernels' shape, so that the API's per-operator caches ({@code VectorOperators.ImplCache}) are full before
 * C2 compiles anything.
 * <p>
 * Why (JDK 17): C2 adds up, over every inlined copy of a method in one compilation, the deoptimization traps that
 * method's profile has recorded, and past {@code PerMethodTrapLimit} (100) of one reason it emits no more
 * uncommon traps of that reason for the rest of the compilation. A type-profiled call then keeps a real virtual call
 * on its other path, its result loses its exact vector class, and the Vector API calls after it fall back to Java:
 * they allocate, for the life of the compiled method. {@code ImplCache.find} is inlined into every lanewise
 * operation (20 copies in {@link TapDots}'s wide block, one per multiply-add) and records a class-check trap each
 * time compiled code meets an operator whose cache entry is still empty, a count that depends on which methods
 * happened to be compiled first (0 and 3 in two runs: 0 and 60 of the wide block's 100). With 5 or more, resnet8's
 * step allocated 42.6 MB under {@code -Xbatch} (one CI run in five or six; {@code -XX:PerMethodTrapLimit=60}: every
 * run). With full caches that path never runs in compiled code, and no run allocated, at that limit either.
 * <p>
 * Every operator rather than a list of the ones kernels use, so that a new kernel cannot miss one. The cost is
 * start-up: Simd's initialisation took 113-134 ms on JDK 17 and 228-249 ms on Temurin 25 (against 140-173 and
 * 271-314 with long lanes too, which no kernel uses), once per JVM.
 */
final class VectorOperationCaches {
    private VectorOperationCaches() {}

    /** Fills the caches of float lanes of species f and of int lanes of its shape (the only lane types kernels use). */
    static void fill(VectorSpecies<Float> f) {
        FloatVector x = FloatVector.broadcast(f, 1f);
        IntVector i = IntVector.broadcast(f.withLanes(int.class), 1);
        for (Field field : VectorOperators.class.getFields()) {
            if (!Modifier.isStatic(field.getModifiers())) continue;
            Object op;
            try {
                op = field.get(null);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("VectorOperators." + field.getName() + " is public but not readable", e);
            }
            run(x, op);
            run(i, op);
        }
    }

    /** Applies op to v in each form that fills a cache: lanewise (vector and scalar operands) and reduced. */
    private static <E> void run(Vector<E> v, Object op) {
        VectorMask<E> all = v.compare(VectorOperators.EQ, v);
        if (op instanceof VectorOperators.Unary) supported(() -> v.lanewise((VectorOperators.Unary) op));
        if (op instanceof VectorOperators.Binary) {
            VectorOperators.Binary b = (VectorOperators.Binary) op;
            supported(() -> v.lanewise(b, v));
            supported(() -> v.lanewise(b, 1L)); // shifts by a scalar have a cache of their own
        }
        if (op instanceof VectorOperators.Ternary) supported(() -> v.lanewise((VectorOperators.Ternary) op, v, v));
        if (op instanceof VectorOperators.Associative) {
            VectorOperators.Associative a = (VectorOperators.Associative) op;
            supported(() -> v.reduceLanesToLong(a));
            supported(() -> v.reduceLanesToLong(a, all)); // the masked form's identities
        }
    }

    /** Runs an operation that the lane type may not support (bitwise operators on floats, say). */
    private static void supported(Runnable operation) {
        try {
            operation.run();
        } catch (UnsupportedOperationException | IllegalArgumentException notForThisLaneType) {
            // nothing was cached for it, and no kernel can call it on these lanes
        }
    }
}

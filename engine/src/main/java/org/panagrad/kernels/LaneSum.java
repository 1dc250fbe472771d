package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order, a tree of halves, whether the code runs interpreted, in C1 or in
 * C2. {@code reduceLanes(ADD)} on floats may be reordered by C2 (JDK 25 does, and its Java fallback adds the lanes
 * in sequence), so the same kernel gave different bits before and after its compilation, and so at different
 * thread counts while the JIT warmed up. Each step adds the vector to itself with lanes i and i ^ d swapped.
 */
final class LaneSum {
    private LaneSum() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int LANES = F.length();
    /** The tree's lane swaps, null where the species has too few lanes; VectorMath writes its tree with them. */
    static final VectorShuffle<Float> D8 = swap(8), D4 = swap(4), D2 = swap(2), D1 = swap(1);

    private static VectorShuffle<Float> swap(int d) {
        return LANES > d ? VectorShuffle.fromOp(F, i -> i ^ d) : null;
    }

    /**
     * JDK 17's C2 keeps reduceLanes(ADD) in lane order, as its fallback does, so JDK 17 reduces with it; later JDKs
     * use {@link #tree}. Kernels write the choice at the call site,
     * {@code ORDERED_REDUCTION ? v.reduceLanes(ADD) : LaneSum.tree(v)}, rather than calling a method of ours that
     * takes the vector: C2 stops inlining our methods once a compilation has grown past its node cutoff
     * (NodeCountInliningCutoff), and a vector passed to a method that is not inlined is boxed, on every call, for
     * the life of that code. The Vector API's own methods are force-inlined past the cutoff. Seen in 1 of ~6 runs of
     * the 512-bit kernel tests: AttentionBackwardSimd.backward inlined a whole packed entry (five GEMM calls) and
     * then left a row's LaneSum.of as a call, 96 bytes per row (PrintInlining, JDK 17). The tree is still a method
     * (JDK 25 and later only).
     */
    static final boolean ORDERED_REDUCTION = Runtime.version().feature() <= 17;

    // tree and fold stay under C2's MaxInlineSize (35 bytes of bytecode), so they are inlined at every call site,
    // however cold its profile: a vector passed to a method that is not inlined is boxed, in every call, for good.
    // Written as one method of four steps (83 bytes), tree was "too large" at call sites C2 did not count as hot;
    // which ones depended on the profile, so a JDK 25 run of the engine's tests now and then saw ReductionsSimd.
    // sumRow box its sum through an HVP (AdaHessianTest, NewtonCgTest: 6,144 B per step, JFR; PrintInlining).

    /** The lanes' sum in the tree's order. */
    static float tree(FloatVector v) {
        return fold(fold(fold(fold(v, D8), D4), D2), D1).lane(0);
    }

    /** v plus v with the lanes swapped by d; v itself where the species has too few lanes for d (d null). */
    private static FloatVector fold(FloatVector v, VectorShuffle<Float> d) {
        return d == null ? v : v.add(v.rearrange(d));
    }
}

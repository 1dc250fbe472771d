package org.panagrad.kernels;

import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order, a tree of halves, whether the code runs interpreted, in C1 or in
 * C2. {@code reduceLanes(ADD)} on floats may be reordered by C2 (JDK 25 does, and its Java fallback adds the lanes
 * in sequence), so the same kernel gave different bits before and after its compilation, and so at different
 * thread counts while the JIT warmed up. Each step adds the vector to itself with lanes i and i ^ d swapped.
 * <p>
 * A kernel reduces its vector v at the call site, with the Vector API's own calls only:
 * <pre>{@code
 * if (!LaneSum.ORDERED_REDUCTION) for (VectorShuffle<Float> swap : LaneSum.SWAPS) v = v.add(v.rearrange(swap));
 * float sum = LaneSum.ORDERED_REDUCTION ? v.reduceLanes(ADD) : v.lane(0);
 * }</pre>
 * never through a method of ours that takes the vector: a vector passed to a method C2 does not inline is boxed, on
 * every call, for the life of that code, and C2 may leave any method of ours of more than six bytes of bytecode
 * (MaxTrivialSize) as a call, however small, for reasons of the compilation or of the profile. Seen: past the node
 * cutoff (NodeCountInliningCutoff; JDK 17's AttentionBackwardSimd.backward, a packed entry's five GEMM calls
 * inlined, left a row's lane sum as a call: 96 bytes per row); and, JDK 18 and later, "low call site frequency"
 * (MinInlineFrequencyRatio: a call site the profile counts in under 0.85% of the caller's invocations), which a
 * JDK 25 run of KernelAllocationTest at 256 bits printed for the former {@code LaneSum.tree(v)} in
 * AttentionBackwardSimd.scoreGradient, a call made once every time. The Vector API's methods are force-inlined
 * past both. The guard keeps the loop out of JDK 17's compilations (the constant branch is not parsed), where a
 * loop-carried receiver can lose its exact class.
 */
final class LaneSum {
    private LaneSum() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;

    /** JDK 17's C2 keeps reduceLanes(ADD) in lane order, as its fallback does, so JDK 17 reduces with it. */
    static final boolean ORDERED_REDUCTION = Runtime.version().feature() <= 17;

    /**
     * The tree's lane swaps, widest first (d = 8 where the species has 16 lanes, then 4, 2, 1): after them lane 0 holds
     * the sum.
     */
    static final VectorShuffle<Float>[] SWAPS = swaps(Integer.numberOfTrailingZeros(F.length()));

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] swaps(int count) {
        VectorShuffle<Float>[] swaps = new VectorShuffle[count];
        for (int k = 0; k < count; k++) {
            int d = F.length() >> (k + 1);
            swaps[k] = VectorShuffle.fromOp(F, i -> i ^ d);
        }
        return swaps;
    }
}

package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Square transposes in registers for the layout copies, LANES x LANES floats at a time in the kernels' species
 * ({@link Simd#FLOAT}: one species in the whole engine, for on JDK 17 a second one, 256-bit vectors beside
 * 512-bit ones, left shared Vector API methods with mixed type profiles, and their intrinsics failed and boxed:
 * 3 MB per transpose).
 * LANES source rows in, LANES destination rows out, after log2(LANES) exchange rounds: at distance D, rows i
 * and i + D swap their off-diagonal D x D blocks (D = 1 by 64-bit shifts; then one permute and four blends per
 * row pair). About one vector operation per float against a scalar load and store each. The two unrolled
 * bodies are written out from one pattern, rows and rounds in the same order.
 */
final class RegisterTranspose {
    private RegisterTranspose() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    static final int LANES = F.length();
    /** Whether the species has a body here: 8 or 16 lanes. */
    static final boolean AVAILABLE = LANES == 8 || LANES == 16;

    private static final long EVEN = 0xFFFFFFFFL, ODD = 0xFFFFFFFF00000000L;
    private static final VectorMask<Float> SECOND_PAIRS = second(2), SECOND_QUADS = second(4), SECOND_OCTETS = second(8);
    private static final VectorShuffle<Float> PAIRS_SWAPPED = swapped(2), QUADS_SWAPPED = swapped(4), OCTETS_SWAPPED = swapped(8);

    /** The lanes whose index has bit {@code d} set: the second block of d lanes in every 2d. */
    private static VectorMask<Float> second(int d) {
        boolean[] bits = new boolean[LANES];
        for (int l = 0; l < LANES; l++) bits[l] = (l & d) != 0;
        return VectorMask.fromArray(F, bits, 0);
    }

    /** Lane l takes lane l ^ d: neighbouring blocks of d lanes swapped. */
    private static VectorShuffle<Float> swapped(int d) {
        return VectorShuffle.fromOp(F, l -> (l ^ d) % LANES);
    }

    /**
     * dst[d + i * dStride + r] = src[s + r * sStride + i] for r < LANES and i < count (a multiple of LANES):
     * LANES source rows, walked LANES columns at a time, become count destination rows of LANES. The loop is
     * in the bodies so that the JIT keeps the shuffles and masks in registers from block to block.
     */
    static void rows(float[] src, int s, int sStride, int count, float[] dst, int d, int dStride) {
        if (LANES == 16) sixteen(src, s, sStride, count, dst, d, dStride);
        else eight(src, s, sStride, count, dst, d, dStride);
    }

    /** 8 x 8 blocks, for 8-lane species (AVX2). */
    private static void eight(float[] src, int s, int sStride, int count, float[] dst, int d, int dStride) {
        for (int i = 0; i < count; i += 8, s += 8, d += 8 * dStride) {
            LongVector a0 = FloatVector.fromArray(F, src, s).reinterpretAsLongs();
            LongVector a1 = FloatVector.fromArray(F, src, s + sStride).reinterpretAsLongs();
            LongVector a2 = FloatVector.fromArray(F, src, s + 2 * sStride).reinterpretAsLongs();
            LongVector a3 = FloatVector.fromArray(F, src, s + 3 * sStride).reinterpretAsLongs();
            LongVector a4 = FloatVector.fromArray(F, src, s + 4 * sStride).reinterpretAsLongs();
            LongVector a5 = FloatVector.fromArray(F, src, s + 5 * sStride).reinterpretAsLongs();
            LongVector a6 = FloatVector.fromArray(F, src, s + 6 * sStride).reinterpretAsLongs();
            LongVector a7 = FloatVector.fromArray(F, src, s + 7 * sStride).reinterpretAsLongs();
            // Distance 1 (rows 2k, 2k + 1): the even columns of both rows, then the odd ones, by 64-bit shifts.
            FloatVector b0 = a0.and(EVEN).or(a1.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector b1 = a0.lanewise(VectorOperators.LSHR, 32).or(a1.and(ODD)).reinterpretAsFloats();
            FloatVector b2 = a2.and(EVEN).or(a3.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector b3 = a2.lanewise(VectorOperators.LSHR, 32).or(a3.and(ODD)).reinterpretAsFloats();
            FloatVector b4 = a4.and(EVEN).or(a5.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector b5 = a4.lanewise(VectorOperators.LSHR, 32).or(a5.and(ODD)).reinterpretAsFloats();
            FloatVector b6 = a6.and(EVEN).or(a7.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
            FloatVector b7 = a6.lanewise(VectorOperators.LSHR, 32).or(a7.and(ODD)).reinterpretAsFloats();
            // Distance 2: exchange pairs of elements between rows i and i + 2.
            FloatVector xc0 = b0.blend(b2, SECOND_PAIRS), yc0 = b2.blend(b0, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
            FloatVector c0 = xc0.blend(yc0, SECOND_PAIRS), c2 = yc0.blend(xc0, SECOND_PAIRS);
            FloatVector xc1 = b1.blend(b3, SECOND_PAIRS), yc1 = b3.blend(b1, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
            FloatVector c1 = xc1.blend(yc1, SECOND_PAIRS), c3 = yc1.blend(xc1, SECOND_PAIRS);
            FloatVector xc4 = b4.blend(b6, SECOND_PAIRS), yc4 = b6.blend(b4, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
            FloatVector c4 = xc4.blend(yc4, SECOND_PAIRS), c6 = yc4.blend(xc4, SECOND_PAIRS);
            FloatVector xc5 = b5.blend(b7, SECOND_PAIRS), yc5 = b7.blend(b5, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
            FloatVector c5 = xc5.blend(yc5, SECOND_PAIRS), c7 = yc5.blend(xc5, SECOND_PAIRS);
            // Distance 4: exchange quads of elements between rows i and i + 4.
            FloatVector xe0 = c0.blend(c4, SECOND_QUADS), ye0 = c4.blend(c0, SECOND_QUADS).rearrange(QUADS_SWAPPED);
            FloatVector e0 = xe0.blend(ye0, SECOND_QUADS), e4 = ye0.blend(xe0, SECOND_QUADS);
            FloatVector xe1 = c1.blend(c5, SECOND_QUADS), ye1 = c5.blend(c1, SECOND_QUADS).rearrange(QUADS_SWAPPED);
            FloatVector e1 = xe1.blend(ye1, SECOND_QUADS), e5 = ye1.blend(xe1, SECOND_QUADS);
            FloatVector xe2 = c2.blend(c6, SECOND_QUADS), ye2 = c6.blend(c2, SECOND_QUADS).rearrange(QUADS_SWAPPED);
            FloatVector e2 = xe2.blend(ye2, SECOND_QUADS), e6 = ye2.blend(xe2, SECOND_QUADS);
            FloatVector xe3 = c3.blend(c7, SECOND_QUADS), ye3 = c7.blend(c3, SECOND_QUADS).rearrange(QUADS_SWAPPED);
            FloatVector e3 = xe3.blend(ye3, SECOND_QUADS), e7 = ye3.blend(xe3, SECOND_QUADS);
            // Row q now holds column q.
            e0.intoArray(dst, d);
            e1.intoArray(dst, d + dStride);
            e2.intoArray(dst, d + 2 * dStride);
            e3.intoArray(dst, d + 3 * dStride);
            e4.intoArray(dst, d + 4 * dStride);
            e5.intoArray(dst, d + 5 * dStride);
            e6.intoArray(dst, d + 6 * dStride);
            e7.intoArray(dst, d + 7 * dStride);
        }
    }

    /** 16 x 16 blocks, for 16-lane species (AVX-512). */
    private static void sixteen(float[] src, int s, int sStride, int count, float[] dst, int d, int dStride) {
        float[] w = Scratch.get();
        for (int i = 0; i < count; i += 16, s += 16, d += 16 * dStride) {
            sixteenFirstRounds(src, s, sStride, w);
            sixteenLastRounds(w, dst, d, dStride);
        }
    }

    /**
     * A block's 16 rows from src[s..] through distances 1 and 2 into w[0..256). The 16-lane transpose is two
     * methods, its rows passed through memory (L1): written as one (2,260 bytes of bytecode) its compilation ran
     * close to C2's node cutoff, and in about one 512-bit test run in four passed it, after which C2 delayed the
     * last blends and compiled 12 of the 16 stores as the allocating fallback (PrintInlining: "failed to inline
     * (intrinsic)" on VectorSupport.store; LayoutTest's [4, 64, 17] permute, 77 KB per call). Each half is too big
     * to be inlined anywhere, so no vector crosses a call.
     */
    private static void sixteenFirstRounds(float[] src, int s, int sStride, float[] w) {
        LongVector a0 = FloatVector.fromArray(F, src, s).reinterpretAsLongs();
        LongVector a1 = FloatVector.fromArray(F, src, s + sStride).reinterpretAsLongs();
        LongVector a2 = FloatVector.fromArray(F, src, s + 2 * sStride).reinterpretAsLongs();
        LongVector a3 = FloatVector.fromArray(F, src, s + 3 * sStride).reinterpretAsLongs();
        LongVector a4 = FloatVector.fromArray(F, src, s + 4 * sStride).reinterpretAsLongs();
        LongVector a5 = FloatVector.fromArray(F, src, s + 5 * sStride).reinterpretAsLongs();
        LongVector a6 = FloatVector.fromArray(F, src, s + 6 * sStride).reinterpretAsLongs();
        LongVector a7 = FloatVector.fromArray(F, src, s + 7 * sStride).reinterpretAsLongs();
        LongVector a8 = FloatVector.fromArray(F, src, s + 8 * sStride).reinterpretAsLongs();
        LongVector a9 = FloatVector.fromArray(F, src, s + 9 * sStride).reinterpretAsLongs();
        LongVector a10 = FloatVector.fromArray(F, src, s + 10 * sStride).reinterpretAsLongs();
        LongVector a11 = FloatVector.fromArray(F, src, s + 11 * sStride).reinterpretAsLongs();
        LongVector a12 = FloatVector.fromArray(F, src, s + 12 * sStride).reinterpretAsLongs();
        LongVector a13 = FloatVector.fromArray(F, src, s + 13 * sStride).reinterpretAsLongs();
        LongVector a14 = FloatVector.fromArray(F, src, s + 14 * sStride).reinterpretAsLongs();
        LongVector a15 = FloatVector.fromArray(F, src, s + 15 * sStride).reinterpretAsLongs();
        // Distance 1 (rows 2k, 2k + 1): the even columns of both rows, then the odd ones, by 64-bit shifts.
        FloatVector b0 = a0.and(EVEN).or(a1.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b1 = a0.lanewise(VectorOperators.LSHR, 32).or(a1.and(ODD)).reinterpretAsFloats();
        FloatVector b2 = a2.and(EVEN).or(a3.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b3 = a2.lanewise(VectorOperators.LSHR, 32).or(a3.and(ODD)).reinterpretAsFloats();
        FloatVector b4 = a4.and(EVEN).or(a5.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b5 = a4.lanewise(VectorOperators.LSHR, 32).or(a5.and(ODD)).reinterpretAsFloats();
        FloatVector b6 = a6.and(EVEN).or(a7.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b7 = a6.lanewise(VectorOperators.LSHR, 32).or(a7.and(ODD)).reinterpretAsFloats();
        FloatVector b8 = a8.and(EVEN).or(a9.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b9 = a8.lanewise(VectorOperators.LSHR, 32).or(a9.and(ODD)).reinterpretAsFloats();
        FloatVector b10 = a10.and(EVEN).or(a11.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b11 = a10.lanewise(VectorOperators.LSHR, 32).or(a11.and(ODD)).reinterpretAsFloats();
        FloatVector b12 = a12.and(EVEN).or(a13.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b13 = a12.lanewise(VectorOperators.LSHR, 32).or(a13.and(ODD)).reinterpretAsFloats();
        FloatVector b14 = a14.and(EVEN).or(a15.lanewise(VectorOperators.LSHL, 32)).reinterpretAsFloats();
        FloatVector b15 = a14.lanewise(VectorOperators.LSHR, 32).or(a15.and(ODD)).reinterpretAsFloats();
        // Distance 2: exchange pairs of elements between rows i and i + 2.
        FloatVector xc0 = b0.blend(b2, SECOND_PAIRS), yc0 = b2.blend(b0, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c0 = xc0.blend(yc0, SECOND_PAIRS), c2 = yc0.blend(xc0, SECOND_PAIRS);
        FloatVector xc1 = b1.blend(b3, SECOND_PAIRS), yc1 = b3.blend(b1, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c1 = xc1.blend(yc1, SECOND_PAIRS), c3 = yc1.blend(xc1, SECOND_PAIRS);
        FloatVector xc4 = b4.blend(b6, SECOND_PAIRS), yc4 = b6.blend(b4, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c4 = xc4.blend(yc4, SECOND_PAIRS), c6 = yc4.blend(xc4, SECOND_PAIRS);
        FloatVector xc5 = b5.blend(b7, SECOND_PAIRS), yc5 = b7.blend(b5, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c5 = xc5.blend(yc5, SECOND_PAIRS), c7 = yc5.blend(xc5, SECOND_PAIRS);
        FloatVector xc8 = b8.blend(b10, SECOND_PAIRS), yc8 = b10.blend(b8, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c8 = xc8.blend(yc8, SECOND_PAIRS), c10 = yc8.blend(xc8, SECOND_PAIRS);
        FloatVector xc9 = b9.blend(b11, SECOND_PAIRS), yc9 = b11.blend(b9, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c9 = xc9.blend(yc9, SECOND_PAIRS), c11 = yc9.blend(xc9, SECOND_PAIRS);
        FloatVector xc12 = b12.blend(b14, SECOND_PAIRS), yc12 = b14.blend(b12, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c12 = xc12.blend(yc12, SECOND_PAIRS), c14 = yc12.blend(xc12, SECOND_PAIRS);
        FloatVector xc13 = b13.blend(b15, SECOND_PAIRS), yc13 = b15.blend(b13, SECOND_PAIRS).rearrange(PAIRS_SWAPPED);
        FloatVector c13 = xc13.blend(yc13, SECOND_PAIRS), c15 = yc13.blend(xc13, SECOND_PAIRS);
        c0.intoArray(w, 0);
        c1.intoArray(w, 16);
        c2.intoArray(w, 32);
        c3.intoArray(w, 48);
        c4.intoArray(w, 64);
        c5.intoArray(w, 80);
        c6.intoArray(w, 96);
        c7.intoArray(w, 112);
        c8.intoArray(w, 128);
        c9.intoArray(w, 144);
        c10.intoArray(w, 160);
        c11.intoArray(w, 176);
        c12.intoArray(w, 192);
        c13.intoArray(w, 208);
        c14.intoArray(w, 224);
        c15.intoArray(w, 240);
    }

    /** Distances 4 and 8 of the rows {@link #sixteenFirstRounds} left in w[0..256), into 16 destination rows at dst[d..]. */
    private static void sixteenLastRounds(float[] w, float[] dst, int d, int dStride) {
        FloatVector c0 = FloatVector.fromArray(F, w, 0);
        FloatVector c1 = FloatVector.fromArray(F, w, 16);
        FloatVector c2 = FloatVector.fromArray(F, w, 32);
        FloatVector c3 = FloatVector.fromArray(F, w, 48);
        FloatVector c4 = FloatVector.fromArray(F, w, 64);
        FloatVector c5 = FloatVector.fromArray(F, w, 80);
        FloatVector c6 = FloatVector.fromArray(F, w, 96);
        FloatVector c7 = FloatVector.fromArray(F, w, 112);
        FloatVector c8 = FloatVector.fromArray(F, w, 128);
        FloatVector c9 = FloatVector.fromArray(F, w, 144);
        FloatVector c10 = FloatVector.fromArray(F, w, 160);
        FloatVector c11 = FloatVector.fromArray(F, w, 176);
        FloatVector c12 = FloatVector.fromArray(F, w, 192);
        FloatVector c13 = FloatVector.fromArray(F, w, 208);
        FloatVector c14 = FloatVector.fromArray(F, w, 224);
        FloatVector c15 = FloatVector.fromArray(F, w, 240);
        // Distance 4: exchange quads of elements between rows i and i + 4.
        FloatVector xe0 = c0.blend(c4, SECOND_QUADS), ye0 = c4.blend(c0, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e0 = xe0.blend(ye0, SECOND_QUADS), e4 = ye0.blend(xe0, SECOND_QUADS);
        FloatVector xe1 = c1.blend(c5, SECOND_QUADS), ye1 = c5.blend(c1, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e1 = xe1.blend(ye1, SECOND_QUADS), e5 = ye1.blend(xe1, SECOND_QUADS);
        FloatVector xe2 = c2.blend(c6, SECOND_QUADS), ye2 = c6.blend(c2, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e2 = xe2.blend(ye2, SECOND_QUADS), e6 = ye2.blend(xe2, SECOND_QUADS);
        FloatVector xe3 = c3.blend(c7, SECOND_QUADS), ye3 = c7.blend(c3, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e3 = xe3.blend(ye3, SECOND_QUADS), e7 = ye3.blend(xe3, SECOND_QUADS);
        FloatVector xe8 = c8.blend(c12, SECOND_QUADS), ye8 = c12.blend(c8, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e8 = xe8.blend(ye8, SECOND_QUADS), e12 = ye8.blend(xe8, SECOND_QUADS);
        FloatVector xe9 = c9.blend(c13, SECOND_QUADS), ye9 = c13.blend(c9, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e9 = xe9.blend(ye9, SECOND_QUADS), e13 = ye9.blend(xe9, SECOND_QUADS);
        FloatVector xe10 = c10.blend(c14, SECOND_QUADS), ye10 = c14.blend(c10, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e10 = xe10.blend(ye10, SECOND_QUADS), e14 = ye10.blend(xe10, SECOND_QUADS);
        FloatVector xe11 = c11.blend(c15, SECOND_QUADS), ye11 = c15.blend(c11, SECOND_QUADS).rearrange(QUADS_SWAPPED);
        FloatVector e11 = xe11.blend(ye11, SECOND_QUADS), e15 = ye11.blend(xe11, SECOND_QUADS);
        // Distance 8: exchange octets of elements between rows i and i + 8.
        FloatVector xg0 = e0.blend(e8, SECOND_OCTETS), yg0 = e8.blend(e0, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g0 = xg0.blend(yg0, SECOND_OCTETS), g8 = yg0.blend(xg0, SECOND_OCTETS);
        FloatVector xg1 = e1.blend(e9, SECOND_OCTETS), yg1 = e9.blend(e1, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g1 = xg1.blend(yg1, SECOND_OCTETS), g9 = yg1.blend(xg1, SECOND_OCTETS);
        FloatVector xg2 = e2.blend(e10, SECOND_OCTETS), yg2 = e10.blend(e2, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g2 = xg2.blend(yg2, SECOND_OCTETS), g10 = yg2.blend(xg2, SECOND_OCTETS);
        FloatVector xg3 = e3.blend(e11, SECOND_OCTETS), yg3 = e11.blend(e3, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g3 = xg3.blend(yg3, SECOND_OCTETS), g11 = yg3.blend(xg3, SECOND_OCTETS);
        FloatVector xg4 = e4.blend(e12, SECOND_OCTETS), yg4 = e12.blend(e4, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g4 = xg4.blend(yg4, SECOND_OCTETS), g12 = yg4.blend(xg4, SECOND_OCTETS);
        FloatVector xg5 = e5.blend(e13, SECOND_OCTETS), yg5 = e13.blend(e5, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g5 = xg5.blend(yg5, SECOND_OCTETS), g13 = yg5.blend(xg5, SECOND_OCTETS);
        FloatVector xg6 = e6.blend(e14, SECOND_OCTETS), yg6 = e14.blend(e6, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g6 = xg6.blend(yg6, SECOND_OCTETS), g14 = yg6.blend(xg6, SECOND_OCTETS);
        FloatVector xg7 = e7.blend(e15, SECOND_OCTETS), yg7 = e15.blend(e7, SECOND_OCTETS).rearrange(OCTETS_SWAPPED);
        FloatVector g7 = xg7.blend(yg7, SECOND_OCTETS), g15 = yg7.blend(xg7, SECOND_OCTETS);
        // Row q now holds column q.
        g0.intoArray(dst, d);
        g1.intoArray(dst, d + dStride);
        g2.intoArray(dst, d + 2 * dStride);
        g3.intoArray(dst, d + 3 * dStride);
        g4.intoArray(dst, d + 4 * dStride);
        g5.intoArray(dst, d + 5 * dStride);
        g6.intoArray(dst, d + 6 * dStride);
        g7.intoArray(dst, d + 7 * dStride);
        g8.intoArray(dst, d + 8 * dStride);
        g9.intoArray(dst, d + 9 * dStride);
        g10.intoArray(dst, d + 10 * dStride);
        g11.intoArray(dst, d + 11 * dStride);
        g12.intoArray(dst, d + 12 * dStride);
        g13.intoArray(dst, d + 13 * dStride);
        g14.intoArray(dst, d + 14 * dStride);
        g15.intoArray(dst, d + 15 * dStride);
    }
}

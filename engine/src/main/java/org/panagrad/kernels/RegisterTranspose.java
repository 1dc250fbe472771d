package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
 * row pair; at 16 lanes bitwise selects in place of the blends). About one vector operation per float against a
 * scalar load and store each. The packing of the GEMM uses them too ({@link GemmTranspose}). Destination rows are
 * stored in order, so a dStride below LANES (each store overlapping the previous one's tail) works.
 */
final class RegisterTranspose {
    private RegisterTranspose() {}

    private static final VectorSpecies<Float> F = Simd.FLOAT;
    static final int LANES = F.length();
    /** Whether the species has a body here: 8 or 16 lanes. */
    static final boolean AVAILABLE = LANES == 8 || LANES == 16;

    private static final long EVEN = 0xFFFFFFFFL, ODD = 0xFFFFFFFF00000000L;
    private static final VectorMask<Float> SECOND_PAIRS = second(2), SECOND_QUADS = second(4);
    private static final VectorShuffle<Float> PAIRS_SWAPPED = swapped(2), QUADS_SWAPPED = swapped(4);
    // sixteen's selections and swaps, on int lanes.
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int[] SECOND_PAIR_BITS = secondBits(2), SECOND_QUAD_BITS = secondBits(4), SECOND_OCTET_BITS = secondBits(8);
    private static final VectorShuffle<Integer> PAIRS_SWAPPED_INT = swappedInts(2), QUADS_SWAPPED_INT = swappedInts(4),
            OCTETS_SWAPPED_INT = swappedInts(8);

    /** The lanes whose index has bit {@code d} set: the second block of d lanes in every 2d. */
    private static VectorMask<Float> second(int d) {
        boolean[] bits = new boolean[LANES];
        for (int l = 0; l < LANES; l++) bits[l] = (l & d) != 0;
        return VectorMask.fromArray(F, bits, 0);
    }

    /** {@link #second} as the bits of int lanes: all set in the lanes it selects. */
    private static int[] secondBits(int d) {
        int[] bits = new int[LANES];
        for (int l = 0; l < LANES; l++) bits[l] = (l & d) != 0 ? -1 : 0;
        return bits;
    }

    /** Lane l takes lane l ^ d: neighbouring blocks of d lanes swapped. */
    private static VectorShuffle<Float> swapped(int d) {
        return VectorShuffle.fromOp(F, l -> (l ^ d) % LANES);
    }

    private static VectorShuffle<Integer> swappedInts(int d) {
        return VectorShuffle.fromOp(I, l -> (l ^ d) % LANES);
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

    /**
     * 16 x 16 blocks, for 16-lane species (AVX-512), in four rounds as {@link #eight}'s three. AVX-512 blends with
     * a mask register, which C2 (JDK 17) rebuilds from the mask before every blend (a compare, then the blend);
     * as bitwise selects on int lanes (BITWISE_BLEND) each is one vpternlogd (packing a 784 x 500 transposed B:
     * 0.23 ns per float, against 0.36-0.42 for the scalar copy). The loop runs on the read index, so C2 checks
     * the sixteen rows' ranges once before it.
     */
    private static void sixteen(float[] src, int s, int sStride, int count, float[] dst, int d, int dStride) {
        IntVector odd2 = IntVector.fromArray(I, SECOND_PAIR_BITS, 0), odd4 = IntVector.fromArray(I, SECOND_QUAD_BITS, 0);
        IntVector odd8 = IntVector.fromArray(I, SECOND_OCTET_BITS, 0);
        for (int end = s + count; s < end; s += 16, d += 16 * dStride) {
            LongVector r0 = FloatVector.fromArray(F, src, s).reinterpretAsLongs();
            LongVector r1 = FloatVector.fromArray(F, src, s + sStride).reinterpretAsLongs();
            LongVector r2 = FloatVector.fromArray(F, src, s + 2 * sStride).reinterpretAsLongs();
            LongVector r3 = FloatVector.fromArray(F, src, s + 3 * sStride).reinterpretAsLongs();
            LongVector r4 = FloatVector.fromArray(F, src, s + 4 * sStride).reinterpretAsLongs();
            LongVector r5 = FloatVector.fromArray(F, src, s + 5 * sStride).reinterpretAsLongs();
            LongVector r6 = FloatVector.fromArray(F, src, s + 6 * sStride).reinterpretAsLongs();
            LongVector r7 = FloatVector.fromArray(F, src, s + 7 * sStride).reinterpretAsLongs();
            LongVector r8 = FloatVector.fromArray(F, src, s + 8 * sStride).reinterpretAsLongs();
            LongVector r9 = FloatVector.fromArray(F, src, s + 9 * sStride).reinterpretAsLongs();
            LongVector ra = FloatVector.fromArray(F, src, s + 10 * sStride).reinterpretAsLongs();
            LongVector rb = FloatVector.fromArray(F, src, s + 11 * sStride).reinterpretAsLongs();
            LongVector rc = FloatVector.fromArray(F, src, s + 12 * sStride).reinterpretAsLongs();
            LongVector rd = FloatVector.fromArray(F, src, s + 13 * sStride).reinterpretAsLongs();
            LongVector re = FloatVector.fromArray(F, src, s + 14 * sStride).reinterpretAsLongs();
            LongVector rf = FloatVector.fromArray(F, src, s + 15 * sStride).reinterpretAsLongs();
            // Distance 1 (rows 2k, 2k + 1), on 64-bit lanes as in eight.
            IntVector t0 = r0.and(EVEN).or(r1.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector t1 = r0.lanewise(VectorOperators.LSHR, 32).or(r1.and(ODD)).reinterpretAsInts();
            IntVector t2 = r2.and(EVEN).or(r3.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector t3 = r2.lanewise(VectorOperators.LSHR, 32).or(r3.and(ODD)).reinterpretAsInts();
            IntVector t4 = r4.and(EVEN).or(r5.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector t5 = r4.lanewise(VectorOperators.LSHR, 32).or(r5.and(ODD)).reinterpretAsInts();
            IntVector t6 = r6.and(EVEN).or(r7.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector t7 = r6.lanewise(VectorOperators.LSHR, 32).or(r7.and(ODD)).reinterpretAsInts();
            IntVector t8 = r8.and(EVEN).or(r9.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector t9 = r8.lanewise(VectorOperators.LSHR, 32).or(r9.and(ODD)).reinterpretAsInts();
            IntVector ta = ra.and(EVEN).or(rb.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector tb = ra.lanewise(VectorOperators.LSHR, 32).or(rb.and(ODD)).reinterpretAsInts();
            IntVector tc = rc.and(EVEN).or(rd.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector td = rc.lanewise(VectorOperators.LSHR, 32).or(rd.and(ODD)).reinterpretAsInts();
            IntVector te = re.and(EVEN).or(rf.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
            IntVector tf = re.lanewise(VectorOperators.LSHR, 32).or(rf.and(ODD)).reinterpretAsInts();
            // 2 x 2 blocks between rows (0,2) (1,3) (4,6) ....
            IntVector ux0 = t0.lanewise(VectorOperators.BITWISE_BLEND, t2, odd2), uy0 = t2.lanewise(VectorOperators.BITWISE_BLEND, t0, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector u0 = ux0.lanewise(VectorOperators.BITWISE_BLEND, uy0, odd2), u2 = uy0.lanewise(VectorOperators.BITWISE_BLEND, ux0, odd2);
            IntVector ux1 = t1.lanewise(VectorOperators.BITWISE_BLEND, t3, odd2), uy1 = t3.lanewise(VectorOperators.BITWISE_BLEND, t1, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector u1 = ux1.lanewise(VectorOperators.BITWISE_BLEND, uy1, odd2), u3 = uy1.lanewise(VectorOperators.BITWISE_BLEND, ux1, odd2);
            IntVector ux4 = t4.lanewise(VectorOperators.BITWISE_BLEND, t6, odd2), uy4 = t6.lanewise(VectorOperators.BITWISE_BLEND, t4, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector u4 = ux4.lanewise(VectorOperators.BITWISE_BLEND, uy4, odd2), u6 = uy4.lanewise(VectorOperators.BITWISE_BLEND, ux4, odd2);
            IntVector ux5 = t5.lanewise(VectorOperators.BITWISE_BLEND, t7, odd2), uy5 = t7.lanewise(VectorOperators.BITWISE_BLEND, t5, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector u5 = ux5.lanewise(VectorOperators.BITWISE_BLEND, uy5, odd2), u7 = uy5.lanewise(VectorOperators.BITWISE_BLEND, ux5, odd2);
            IntVector ux8 = t8.lanewise(VectorOperators.BITWISE_BLEND, ta, odd2), uy8 = ta.lanewise(VectorOperators.BITWISE_BLEND, t8, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector u8 = ux8.lanewise(VectorOperators.BITWISE_BLEND, uy8, odd2), ua = uy8.lanewise(VectorOperators.BITWISE_BLEND, ux8, odd2);
            IntVector ux9 = t9.lanewise(VectorOperators.BITWISE_BLEND, tb, odd2), uy9 = tb.lanewise(VectorOperators.BITWISE_BLEND, t9, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector u9 = ux9.lanewise(VectorOperators.BITWISE_BLEND, uy9, odd2), ub = uy9.lanewise(VectorOperators.BITWISE_BLEND, ux9, odd2);
            IntVector uxc = tc.lanewise(VectorOperators.BITWISE_BLEND, te, odd2), uyc = te.lanewise(VectorOperators.BITWISE_BLEND, tc, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector uc = uxc.lanewise(VectorOperators.BITWISE_BLEND, uyc, odd2), ue = uyc.lanewise(VectorOperators.BITWISE_BLEND, uxc, odd2);
            IntVector uxd = td.lanewise(VectorOperators.BITWISE_BLEND, tf, odd2), uyd = tf.lanewise(VectorOperators.BITWISE_BLEND, td, odd2).rearrange(PAIRS_SWAPPED_INT);
            IntVector ud = uxd.lanewise(VectorOperators.BITWISE_BLEND, uyd, odd2), uf = uyd.lanewise(VectorOperators.BITWISE_BLEND, uxd, odd2);
            // 4 x 4 blocks between rows (0,4) ... (11,15).
            IntVector vx0 = u0.lanewise(VectorOperators.BITWISE_BLEND, u4, odd4), vy0 = u4.lanewise(VectorOperators.BITWISE_BLEND, u0, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector v0 = vx0.lanewise(VectorOperators.BITWISE_BLEND, vy0, odd4), v4 = vy0.lanewise(VectorOperators.BITWISE_BLEND, vx0, odd4);
            IntVector vx1 = u1.lanewise(VectorOperators.BITWISE_BLEND, u5, odd4), vy1 = u5.lanewise(VectorOperators.BITWISE_BLEND, u1, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector v1 = vx1.lanewise(VectorOperators.BITWISE_BLEND, vy1, odd4), v5 = vy1.lanewise(VectorOperators.BITWISE_BLEND, vx1, odd4);
            IntVector vx2 = u2.lanewise(VectorOperators.BITWISE_BLEND, u6, odd4), vy2 = u6.lanewise(VectorOperators.BITWISE_BLEND, u2, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector v2 = vx2.lanewise(VectorOperators.BITWISE_BLEND, vy2, odd4), v6 = vy2.lanewise(VectorOperators.BITWISE_BLEND, vx2, odd4);
            IntVector vx3 = u3.lanewise(VectorOperators.BITWISE_BLEND, u7, odd4), vy3 = u7.lanewise(VectorOperators.BITWISE_BLEND, u3, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector v3 = vx3.lanewise(VectorOperators.BITWISE_BLEND, vy3, odd4), v7 = vy3.lanewise(VectorOperators.BITWISE_BLEND, vx3, odd4);
            IntVector vx8 = u8.lanewise(VectorOperators.BITWISE_BLEND, uc, odd4), vy8 = uc.lanewise(VectorOperators.BITWISE_BLEND, u8, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector v8 = vx8.lanewise(VectorOperators.BITWISE_BLEND, vy8, odd4), vc = vy8.lanewise(VectorOperators.BITWISE_BLEND, vx8, odd4);
            IntVector vx9 = u9.lanewise(VectorOperators.BITWISE_BLEND, ud, odd4), vy9 = ud.lanewise(VectorOperators.BITWISE_BLEND, u9, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector v9 = vx9.lanewise(VectorOperators.BITWISE_BLEND, vy9, odd4), vd = vy9.lanewise(VectorOperators.BITWISE_BLEND, vx9, odd4);
            IntVector vxa = ua.lanewise(VectorOperators.BITWISE_BLEND, ue, odd4), vya = ue.lanewise(VectorOperators.BITWISE_BLEND, ua, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector va = vxa.lanewise(VectorOperators.BITWISE_BLEND, vya, odd4), ve = vya.lanewise(VectorOperators.BITWISE_BLEND, vxa, odd4);
            IntVector vxb = ub.lanewise(VectorOperators.BITWISE_BLEND, uf, odd4), vyb = uf.lanewise(VectorOperators.BITWISE_BLEND, ub, odd4).rearrange(QUADS_SWAPPED_INT);
            IntVector vb = vxb.lanewise(VectorOperators.BITWISE_BLEND, vyb, odd4), vf = vyb.lanewise(VectorOperators.BITWISE_BLEND, vxb, odd4);
            // 8 x 8 blocks between rows (0,8) ... (7,15): row q now holds column q.
            IntVector wx0 = v0.lanewise(VectorOperators.BITWISE_BLEND, v8, odd8), wy0 = v8.lanewise(VectorOperators.BITWISE_BLEND, v0, odd8).rearrange(OCTETS_SWAPPED_INT);
            IntVector wx1 = v1.lanewise(VectorOperators.BITWISE_BLEND, v9, odd8), wy1 = v9.lanewise(VectorOperators.BITWISE_BLEND, v1, odd8).rearrange(OCTETS_SWAPPED_INT);
            IntVector wx2 = v2.lanewise(VectorOperators.BITWISE_BLEND, va, odd8), wy2 = va.lanewise(VectorOperators.BITWISE_BLEND, v2, odd8).rearrange(OCTETS_SWAPPED_INT);
            IntVector wx3 = v3.lanewise(VectorOperators.BITWISE_BLEND, vb, odd8), wy3 = vb.lanewise(VectorOperators.BITWISE_BLEND, v3, odd8).rearrange(OCTETS_SWAPPED_INT);
            IntVector wx4 = v4.lanewise(VectorOperators.BITWISE_BLEND, vc, odd8), wy4 = vc.lanewise(VectorOperators.BITWISE_BLEND, v4, odd8).rearrange(OCTETS_SWAPPED_INT);
            IntVector wx5 = v5.lanewise(VectorOperators.BITWISE_BLEND, vd, odd8), wy5 = vd.lanewise(VectorOperators.BITWISE_BLEND, v5, odd8).rearrange(OCTETS_SWAPPED_INT);
            IntVector wx6 = v6.lanewise(VectorOperators.BITWISE_BLEND, ve, odd8), wy6 = ve.lanewise(VectorOperators.BITWISE_BLEND, v6, odd8).rearrange(OCTETS_SWAPPED_INT);
            IntVector wx7 = v7.lanewise(VectorOperators.BITWISE_BLEND, vf, odd8), wy7 = vf.lanewise(VectorOperators.BITWISE_BLEND, v7, odd8).rearrange(OCTETS_SWAPPED_INT);
            // Stored in order: with dStride < 16 each store overlaps the one before it.
            wx0.lanewise(VectorOperators.BITWISE_BLEND, wy0, odd8).reinterpretAsFloats().intoArray(dst, d);
            wx1.lanewise(VectorOperators.BITWISE_BLEND, wy1, odd8).reinterpretAsFloats().intoArray(dst, d + dStride);
            wx2.lanewise(VectorOperators.BITWISE_BLEND, wy2, odd8).reinterpretAsFloats().intoArray(dst, d + 2 * dStride);
            wx3.lanewise(VectorOperators.BITWISE_BLEND, wy3, odd8).reinterpretAsFloats().intoArray(dst, d + 3 * dStride);
            wx4.lanewise(VectorOperators.BITWISE_BLEND, wy4, odd8).reinterpretAsFloats().intoArray(dst, d + 4 * dStride);
            wx5.lanewise(VectorOperators.BITWISE_BLEND, wy5, odd8).reinterpretAsFloats().intoArray(dst, d + 5 * dStride);
            wx6.lanewise(VectorOperators.BITWISE_BLEND, wy6, odd8).reinterpretAsFloats().intoArray(dst, d + 6 * dStride);
            wx7.lanewise(VectorOperators.BITWISE_BLEND, wy7, odd8).reinterpretAsFloats().intoArray(dst, d + 7 * dStride);
            wy0.lanewise(VectorOperators.BITWISE_BLEND, wx0, odd8).reinterpretAsFloats().intoArray(dst, d + 8 * dStride);
            wy1.lanewise(VectorOperators.BITWISE_BLEND, wx1, odd8).reinterpretAsFloats().intoArray(dst, d + 9 * dStride);
            wy2.lanewise(VectorOperators.BITWISE_BLEND, wx2, odd8).reinterpretAsFloats().intoArray(dst, d + 10 * dStride);
            wy3.lanewise(VectorOperators.BITWISE_BLEND, wx3, odd8).reinterpretAsFloats().intoArray(dst, d + 11 * dStride);
            wy4.lanewise(VectorOperators.BITWISE_BLEND, wx4, odd8).reinterpretAsFloats().intoArray(dst, d + 12 * dStride);
            wy5.lanewise(VectorOperators.BITWISE_BLEND, wx5, odd8).reinterpretAsFloats().intoArray(dst, d + 13 * dStride);
            wy6.lanewise(VectorOperators.BITWISE_BLEND, wx6, odd8).reinterpretAsFloats().intoArray(dst, d + 14 * dStride);
            wy7.lanewise(VectorOperators.BITWISE_BLEND, wx7, odd8).reinterpretAsFloats().intoArray(dst, d + 15 * dStride);
        }
    }
}

package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Gram matrix C = alpha X X^T of a few long rows (X n x k, row-major along k, n small, k long): a
 * convolution's KFC factors in channel-major order, lenet5's 25 x 100,352 patches and 6 x 100,352 output
 * gradients. The packed SYRK packs both operands (transposing them) and fills 12 x 32 tiles of which such a C
 * uses a corner: 4.4 ms for the 25 x 25 one, at 20-30 GFLOP/s.
 * <p>
 * k is cut into segments of {@link #SEGMENT} floats, the units the threads claim. In a segment, tiles of four
 * rows i against four rows j (j >= i's first row) keep sixteen vector accumulators, lane l summing the products
 * at p = l (mod LANES) in order of p with fused multiply-adds; then each pair's lanes are added in order 0 to
 * LANES - 1 and the tail past the last whole vector in order of p, into the segment's partial. C is alpha times
 * the partials summed in segment order. The order depends on n and k only, so C is the same bits on any number
 * of threads, and the scalar twin ({@link #scalar}) sums in exactly that order. A segment's n rows (4 KB each)
 * stay in L2 while its tiles read them again; X is read from memory once. A tile's four i rows stay in L1 while
 * the j rows stream from L2: tiles of 2 x 4 (eight fma per six loads) were bound by those reads, and 4 x 4 took
 * 0.73x their time at 150 x 12,800 and 0.84x at 25 x 100,352 (one thread; the bits are the same). Up to 160 rows (lenet5's second
 * convolution, 150 x 12,800): with 2 x 4 tiles 15% slower than the packed SYRK on one thread (4.7 against 4.1 ms) but 2.2x faster
 * on two (2.6 against 5.6: the SYRK's barrier per k block; its two threads were slower than one), and the kernel
 * cannot depend on the thread count (same bits on any).
 * <p>
 * A part claims segments until none is left, so a thread whose core is taken holds the call up for the one
 * segment it claimed. Nothing is allocated per call once the partials have grown.
 */
final class RowGram implements WorkerPool.Task {
    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int LANES = F == null ? 1 : F.length();
    /** Floats of k per unit; a multiple of every species' lanes. */
    static final int SEGMENT = 1024;
    /** Gram products of more rows go to the packed SYRK; of a shorter k, to it or to the GEMM. */
    static final int MAX_N = 160;
    static final int MIN_K = 2 * SEGMENT;
    private static final ThreadLocal<RowGram> PER_THREAD = ThreadLocal.withInitial(RowGram::new);
    private static final ThreadLocal<float[]> LANE_SUMS = ThreadLocal.withInitial(() -> new float[16 * LANES]);

    private final AtomicInteger nextSegment = new AtomicInteger();
    private float[] x, partials = new float[0];
    private int n, k, xOff, lda, segments;

    private RowGram() {}

    /** Whether C = X X^T (rows, not columns) of n rows of k floats is taken here. */
    static boolean applies(boolean columns, int n, int k) {
        return Simd.ENABLED && !columns && n <= MAX_N && k >= MIN_K;
    }

    /** C (n x n at cOff, leading dimension n) = alpha X X^T, X n x k at xOff with rows lda apart. */
    static void gram(int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        RowGram job = PER_THREAD.get();
        job.n = n;
        job.k = k;
        job.x = x;
        job.xOff = xOff;
        job.lda = lda;
        job.segments = (k + SEGMENT - 1) / SEGMENT;
        int size = job.segments * n * n;
        if (job.partials.length < size) job.partials = new float[size];
        job.nextSegment.set(0);
        WorkerPool pool = Gemm.pool();
        int parts = Math.min(pool.threads(), job.segments);
        try {
            if (parts == 1 || !pool.tryRun(job, parts)) job.runPart(0, 1);
            sumSegments(n, job.segments, job.partials, alpha, c, cOff);
        } finally {
            job.x = null;
        }
    }

    @Override
    public void runPart(int part, int parts) {
        float[] lanes = LANE_SUMS.get();
        for (int s = nextSegment.getAndIncrement(); s < segments; s = nextSegment.getAndIncrement()) {
            segment(s, lanes);
        }
    }

    /** Segment s's partial of every pair i <= j, at partials[s n^2 + i n + j]. */
    private void segment(int s, float[] lanes) {
        int p0 = s * SEGMENT, p1 = Math.min(k, p0 + SEGMENT), full = p0 + (p1 - p0) / LANES * LANES;
        int out = s * n * n;
        for (int i0 = 0; i0 < n; i0 += 4) {
            // Rows past the last are read as the last one: their sums are computed and not stored.
            int ia0 = row(i0), ia1 = row(i0 + 1), ia2 = row(i0 + 2), ia3 = row(i0 + 3);
            for (int j0 = i0; j0 < n; j0 += 4) {
                int jb0 = row(j0), jb1 = row(j0 + 1), jb2 = row(j0 + 2), jb3 = row(j0 + 3);
                FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
                FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F), s13 = FloatVector.zero(F);
                FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F), s23 = FloatVector.zero(F);
                FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F), s33 = FloatVector.zero(F);
                for (int p = p0; p < full; p += LANES) {
                    FloatVector a0 = FloatVector.fromArray(F, x, ia0 + p), a1 = FloatVector.fromArray(F, x, ia1 + p);
                    FloatVector a2 = FloatVector.fromArray(F, x, ia2 + p), a3 = FloatVector.fromArray(F, x, ia3 + p);
                    FloatVector b = FloatVector.fromArray(F, x, jb0 + p);
                    s00 = a0.fma(b, s00);
                    s10 = a1.fma(b, s10);
                    s20 = a2.fma(b, s20);
                    s30 = a3.fma(b, s30);
                    b = FloatVector.fromArray(F, x, jb1 + p);
                    s01 = a0.fma(b, s01);
                    s11 = a1.fma(b, s11);
                    s21 = a2.fma(b, s21);
                    s31 = a3.fma(b, s31);
                    b = FloatVector.fromArray(F, x, jb2 + p);
                    s02 = a0.fma(b, s02);
                    s12 = a1.fma(b, s12);
                    s22 = a2.fma(b, s22);
                    s32 = a3.fma(b, s32);
                    b = FloatVector.fromArray(F, x, jb3 + p);
                    s03 = a0.fma(b, s03);
                    s13 = a1.fma(b, s13);
                    s23 = a2.fma(b, s23);
                    s33 = a3.fma(b, s33);
                }
                s00.intoArray(lanes, 0);
                s01.intoArray(lanes, LANES);
                s02.intoArray(lanes, 2 * LANES);
                s03.intoArray(lanes, 3 * LANES);
                s10.intoArray(lanes, 4 * LANES);
                s11.intoArray(lanes, 5 * LANES);
                s12.intoArray(lanes, 6 * LANES);
                s13.intoArray(lanes, 7 * LANES);
                s20.intoArray(lanes, 8 * LANES);
                s21.intoArray(lanes, 9 * LANES);
                s22.intoArray(lanes, 10 * LANES);
                s23.intoArray(lanes, 11 * LANES);
                s30.intoArray(lanes, 12 * LANES);
                s31.intoArray(lanes, 13 * LANES);
                s32.intoArray(lanes, 14 * LANES);
                s33.intoArray(lanes, 15 * LANES);
                for (int r = 0; r < 4 && i0 + r < n; r++) {
                    int i = i0 + r;
                    for (int t = 0; t < 4 && j0 + t < n; t++) {
                        int j = j0 + t;
                        if (j < i) continue;
                        partials[out + i * n + j] = finish(lanes, (4 * r + t) * LANES, x, xOff + i * lda, xOff + j * lda, full, p1);
                    }
                }
            }
        }
    }

    /** Where row i of X starts; rows past the last read the last one. */
    private int row(int i) {
        return xOff + Math.min(i, n - 1) * lda;
    }

    /** The lane sums at lanes[at...] added in lane order, then the tail p = full .. end - 1 of rows ai and bj in order. */
    private static float finish(float[] lanes, int at, float[] x, int ai, int bj, int full, int end) {
        float s = 0f;
        for (int l = 0; l < LANES; l++) s += lanes[at + l];
        for (int p = full; p < end; p++) s = Math.fma(x[ai + p], x[bj + p], s);
        return s;
    }

    /** C(i, j) = C(j, i) = alpha times the partials of (i, j) summed in segment order. */
    static void sumSegments(int n, int segments, float[] partials, float alpha, float[] c, int cOff) {
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                float t = partials[i * n + j];
                for (int s = 1; s < segments; s++) t += partials[s * n * n + i * n + j];
                float v = alpha * t;
                c[cOff + i * n + j] = v;
                c[cOff + j * n + i] = v;
            }
        }
    }

    /** The scalar twin: the same sums in the same order, with lanes of {@code lanes} floats, element by element. */
    static void scalar(int lanes, int n, int k, float alpha, float[] x, int xOff, int lda, float[] c, int cOff) {
        int segments = (k + SEGMENT - 1) / SEGMENT;
        float[] partials = new float[segments * n * n], lane = new float[lanes];
        for (int s = 0; s < segments; s++) {
            int p0 = s * SEGMENT, p1 = Math.min(k, p0 + SEGMENT), full = p0 + (p1 - p0) / lanes * lanes;
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    int ai = xOff + i * lda, bj = xOff + j * lda;
                    java.util.Arrays.fill(lane, 0f);
                    for (int p = p0; p < full; p++) lane[(p - p0) % lanes] = Math.fma(x[ai + p], x[bj + p], lane[(p - p0) % lanes]);
                    float v = 0f;
                    for (int l = 0; l < lanes; l++) v += lane[l];
                    for (int p = full; p < p1; p++) v = Math.fma(x[ai + p], x[bj + p], v);
                    partials[s * n * n + i * n + j] = v;
                }
            }
        }
        sumSegments(n, segments, partials, alpha, c, cOff);
    }

    /** The lanes of the SIMD body, for its twin. */
    static int lanes() {
        return LANES;
    }
}

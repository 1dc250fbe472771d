package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stride-1 convolution's input Kronecker factor (KFC's A, one group) without its patches: C = the sum over images
 * and output positions of a a^T, a the patch at the position (channel c, tap (i, j) in row (c kh + i) kw + j),
 * with a last entry 1 when {@code ones} (the bias's row and column: the patches' sums, and the count of positions
 * in the corner). Unfolding the patches and taking their Gram product wrote and read lenet5's 150 x 12,800 patch
 * matrix (7.7 MB, 3.4 ms to write); here the rows are read from the image itself.
 * <p>
 * Each image is copied into scratch with its zero padding, rows D = W + 2 padW apart. Position (oh, ow) is then
 * t = oh D + ow, and patch row r = (c, i, j) is the image at the constant offset c plane + i dilH D + j dilW plus t:
 * every row is one contiguous run, of T = (outH - 1) D + outW floats, in whole vectors here. The t with
 * t mod D >= outW (a row's wrap into the next) and t >= T are no positions: both operands are ANDed with a mask of zeros there,
 * so those products are exact zeros whatever the image holds; the ones row is a run of ones under
 * the same mask. A segment of images (a fixed count: a shape's segments do not depend on threads) sits in
 * per-thread scratch; tiles of four rows i by four rows j keep sixteen accumulators over all of the segment's
 * images, lane l summing the products at t = l (mod LANES) image after image in order of t, then each pair's lanes
 * are added in lane order into the segment's partial, and C is the partials summed in segment order (as
 * {@link RowGram}). The order depends on the shape only: the same bits on any number of threads, and the scalar
 * twin ({@link #scalar}) sums in exactly that order. Threads claim segments; nothing is allocated per call once the
 * scratch and the partials have grown.
 */
public final class ShiftedGram implements WorkerPool.Task {
    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final VectorSpecies<Integer> I = F == null ? null : F.vectorShape().withLanes(int.class);
    private static final int LANES = F == null ? 1 : F.length();
    /** Scratch floats per segment (a segment is at least one image): its images stay in L2 while its tiles run. */
    static final int SEGMENT_FLOATS = 16_384;
    private static final ThreadLocal<ShiftedGram> PER_THREAD = ThreadLocal.withInitial(ShiftedGram::new);
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[16 * LANES]});

    private final AtomicInteger nextSegment = new AtomicInteger();
    private ConvShape s;
    private boolean ones;
    private float[] x, partials = new float[0];
    private int xOff, segments;
    /** -1 (all bits) where t is a position, 0 elsewhere, over the runs' whole vectors. */
    private int[] mask = new int[0];
    /** Each row's offset in an image's slot (the ones row: its run of ones), for the shape of the call. */
    private int[] rowOffsets = new int[0];

    private ShiftedGram() {}

    /** Whether the input factor of s is computed here: one group, stride 1 (rows are then runs of the image). */
    public static boolean applies(ConvShape s) {
        return s.groups() == 1 && s.strideH() == 1 && s.strideW() == 1;
    }

    /** Rows of C: the patch rows, and the ones row. */
    public static int rows(ConvShape s, boolean ones) {
        return s.patchRows() + (ones ? 1 : 0);
    }

    /** C (rows x rows at cOff) = the sum of a a^T over the batch's images at x[xOff..] and positions, by the SIMD body or its twin. */
    public static void gram(ConvShape s, boolean ones, float[] x, int xOff, float[] c, int cOff) {
        if (!applies(s)) throw new IllegalArgumentException("ShiftedGram needs one group and stride 1, got " + s);
        if (!Simd.ENABLED) {
            scalar(LANES, s, ones, x, xOff, c, cOff);
            return;
        }
        ShiftedGram job = PER_THREAD.get();
        job.s = s;
        job.ones = ones;
        job.x = x;
        job.xOff = xOff;
        job.prepare(LANES);
        int n = rows(s, ones), size = job.segments * n * n;
        if (job.partials.length < size) job.partials = new float[size];
        job.nextSegment.set(0);
        WorkerPool pool = Gemm.pool();
        int parts = Math.min(pool.threads(), job.segments);
        try {
            if (parts == 1 || !pool.tryRun(job, parts)) job.runPart(0, 1);
            RowGram.sumSegments(n, job.segments, job.partials, 1f, c, cOff);
        } finally {
            job.x = null;
        }
    }

    private static int paddedWidth(ConvShape s) {
        return s.width() + 2 * s.padW();
    }

    private static int paddedPlane(ConvShape s) {
        return (s.height() + 2 * s.padH()) * paddedWidth(s);
    }

    /** The runs' length: whole vectors of lanes covering T = (outH - 1) D + outW. */
    private static int run(ConvShape s, int lanes) {
        int t = (s.outHeight() - 1) * paddedWidth(s) + s.outWidth();
        return (t + lanes - 1) / lanes * lanes;
    }

    /** An image's slot in scratch: its padded planes, the slack its last runs read past them, then a run of ones. */
    private static int slot(ConvShape s, int lanes) {
        return s.channels() * paddedPlane(s) + lanes + run(s, lanes);
    }

    private static int imagesPerSegment(ConvShape s, int lanes) {
        return Math.max(1, Math.min(s.batch(), SEGMENT_FLOATS / slot(s, lanes)));
    }

    /** The mask, the rows' offsets and the segment count for the call's shape and lanes. */
    private void prepare(int lanes) {
        int d = paddedWidth(s), run = run(s, lanes), valid = (s.outHeight() - 1) * d + s.outWidth(), n = rows(s, ones);
        if (mask.length < run) mask = new int[run];
        for (int t = 0; t < run; t++) mask[t] = t < valid && t % d < s.outWidth() ? -1 : 0;
        if (rowOffsets.length < n) rowOffsets = new int[n];
        offsets(s, ones, lanes, rowOffsets);
        segments = (s.batch() + imagesPerSegment(s, lanes) - 1) / imagesPerSegment(s, lanes);
    }

    private static void offsets(ConvShape s, boolean ones, int lanes, int[] into) {
        int d = paddedWidth(s), r = 0;
        for (int c = 0; c < s.channels(); c++) {
            for (int i = 0; i < s.kh(); i++) {
                for (int j = 0; j < s.kw(); j++) into[r++] = c * paddedPlane(s) + i * s.dilationH() * d + j * s.dilationW();
            }
        }
        if (ones) into[r] = s.channels() * paddedPlane(s) + lanes;
    }

    /** Images [n0, n1) of x into slots of scratch from 0 on: zero padding, the image's rows, zero slack, ones. */
    private static void copyImages(ConvShape s, int lanes, float[] x, int xOff, int n0, int n1, float[] scratch) {
        int d = paddedWidth(s), h = s.height(), w = s.width(), slot = slot(s, lanes), planes = s.channels() * paddedPlane(s);
        for (int n = n0; n < n1; n++) {
            int to = (n - n0) * slot, from = xOff + n * s.imageSize();
            Arrays.fill(scratch, to, to + planes + lanes, 0f);
            for (int c = 0; c < s.channels(); c++) {
                for (int r = 0; r < h; r++) {
                    System.arraycopy(x, from + (c * h + r) * w, scratch, to + c * paddedPlane(s) + (r + s.padH()) * d + s.padW(), w);
                }
            }
            Arrays.fill(scratch, to + planes + lanes, to + slot, 1f);
        }
    }

    @Override
    public void runPart(int part, int parts) {
        float[][] scratch = SCRATCH.get();
        int per = imagesPerSegment(s, LANES), need = per * slot(s, LANES);
        if (scratch[0].length < need) scratch[0] = new float[need];
        for (int g = nextSegment.getAndIncrement(); g < segments; g = nextSegment.getAndIncrement()) {
            int n0 = g * per, n1 = Math.min(s.batch(), n0 + per);
            copyImages(s, LANES, x, xOff, n0, n1, scratch[0]);
            segment(g, n1 - n0, scratch[0], scratch[1]);
        }
    }

    /** Segment g's partial of every pair i <= j, at partials[g n^2 + i n + j], from its images in scratch. */
    private void segment(int g, int images, float[] img, float[] lanes) {
        int n = rows(s, ones), run = run(s, LANES), slot = slot(s, LANES), out = g * n * n;
        int[] m = mask, at = rowOffsets;
        for (int i0 = 0; i0 < n; i0 += 4) {
            // Rows past the last are read as the last one: their sums are computed and not stored.
            int ia0 = at[Math.min(i0, n - 1)], ia1 = at[Math.min(i0 + 1, n - 1)];
            int ia2 = at[Math.min(i0 + 2, n - 1)], ia3 = at[Math.min(i0 + 3, n - 1)];
            for (int j0 = i0; j0 < n; j0 += 4) {
                int jb0 = at[Math.min(j0, n - 1)], jb1 = at[Math.min(j0 + 1, n - 1)];
                int jb2 = at[Math.min(j0 + 2, n - 1)], jb3 = at[Math.min(j0 + 3, n - 1)];
                FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
                FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F), s13 = FloatVector.zero(F);
                FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F), s23 = FloatVector.zero(F);
                FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F), s33 = FloatVector.zero(F);
                // One loop over the segment's images and their runs (two nested loops had C2 box the sixteen
                // accumulators on every step: 1.3 GB per call of lenet5's factor).
                for (int step = 0, steps = images * (run / LANES), t = 0, base = 0; step < steps; step++) {
                    IntVector inside = IntVector.fromArray(I, m, t);
                    int p = base + t;
                    FloatVector a0 = FloatVector.fromArray(F, img, ia0 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    FloatVector a1 = FloatVector.fromArray(F, img, ia1 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    FloatVector a2 = FloatVector.fromArray(F, img, ia2 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    FloatVector a3 = FloatVector.fromArray(F, img, ia3 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    FloatVector b = FloatVector.fromArray(F, img, jb0 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    s00 = a0.fma(b, s00);
                    s10 = a1.fma(b, s10);
                    s20 = a2.fma(b, s20);
                    s30 = a3.fma(b, s30);
                    b = FloatVector.fromArray(F, img, jb1 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    s01 = a0.fma(b, s01);
                    s11 = a1.fma(b, s11);
                    s21 = a2.fma(b, s21);
                    s31 = a3.fma(b, s31);
                    b = FloatVector.fromArray(F, img, jb2 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    s02 = a0.fma(b, s02);
                    s12 = a1.fma(b, s12);
                    s22 = a2.fma(b, s22);
                    s32 = a3.fma(b, s32);
                    b = FloatVector.fromArray(F, img, jb3 + p).reinterpretAsInts().and(inside).reinterpretAsFloats();
                    s03 = a0.fma(b, s03);
                    s13 = a1.fma(b, s13);
                    s23 = a2.fma(b, s23);
                    s33 = a3.fma(b, s33);
                    t += LANES;
                    if (t == run) {
                        t = 0;
                        base += slot;
                    }
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
                    for (int q = 0; q < 4 && j0 + q < n; q++) {
                        int i = i0 + r, j = j0 + q;
                        if (j >= i) partials[out + i * n + j] = laneSum(lanes, (4 * r + q) * LANES, LANES);
                    }
                }
            }
        }
    }

    private static float laneSum(float[] lanes, int at, int count) {
        float v = 0f;
        for (int l = 0; l < count; l++) v += lanes[at + l];
        return v;
    }

    /**
     * The scalar twin: the same sums in the same order with lanes of {@code lanes} floats, element by element, on
     * the calling thread.
     */
    static void scalar(int lanes, ConvShape s, boolean ones, float[] x, int xOff, float[] c, int cOff) {
        if (!applies(s)) throw new IllegalArgumentException("ShiftedGram needs one group and stride 1, got " + s);
        int n = rows(s, ones), run = run(s, lanes), slot = slot(s, lanes), per = imagesPerSegment(s, lanes);
        int d = paddedWidth(s), valid = (s.outHeight() - 1) * d + s.outWidth();
        int segments = (s.batch() + per - 1) / per;
        int[] at = new int[n];
        offsets(s, ones, lanes, at);
        float[] img = new float[per * slot], partials = new float[segments * n * n], lane = new float[lanes];
        for (int g = 0; g < segments; g++) {
            int n0 = g * per, n1 = Math.min(s.batch(), n0 + per);
            copyImages(s, lanes, x, xOff, n0, n1, img);
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    Arrays.fill(lane, 0f);
                    for (int base = 0; base < (n1 - n0) * slot; base += slot) {
                        for (int t = 0; t < run; t++) {
                            boolean inside = t < valid && t % d < s.outWidth();
                            float a = inside ? img[at[i] + base + t] : 0f, b = inside ? img[at[j] + base + t] : 0f;
                            lane[t % lanes] = Math.fma(a, b, lane[t % lanes]);
                        }
                    }
                    partials[g * n * n + i * n + j] = laneSum(lane, 0, lanes);
                }
            }
        }
        RowGram.sumSegments(n, segments, partials, 1f, c, cOff);
    }

    /** The lanes of the SIMD body, for its twin. */
    static int lanes() {
        return LANES;
    }
}

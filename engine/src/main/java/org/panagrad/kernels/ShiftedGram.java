package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stride-1 convolution's input Kronecker factor (KFC's A, one group) without its patches, by tap-pair
 * correlations: C = the sum over images and output positions of a a^T, a the patch at the position (channel c,
 * tap (i, j) in row (c kh + i) kw + j), with a last entry 1 when {@code ones} (the bias's row and column: the
 * patches' sums, and the count of positions in the corner).
 * <p>
 * With each image zero-padded (rows D = W + 2 padW apart, plane (H + 2 padH) D), the entry of taps (c, i, j) and
 * (c', i + di, j + dj) is the sum, over the window of positions the first tap sees (rows u from i dilH, outH of
 * them; columns v from j dilW, outW), of the correlation image P(u, v) = sum_n x_n(c, u, v) x_n(c', u + di dilH,
 * v + dj dilW). P depends on (c, c', di, dj) only, not on (i, j): a 5 x 5 kernel has 41 offsets with (di, dj) >= 0
 * (the others are the same products mirrored), so lenet5's second layer needs 6 x 6 x 41 correlation images of its
 * 14 x 14 input instead of 150 x 151 / 2 sums over 10 x 10 positions: about a seventh of the multiply-adds. Flat
 * over the plane (t = u D + v) the second factor is the first shifted by a constant delta = di dilH D + dj dilW, so
 * P's lanes are whole vectors of the images as they are: P(t) sums x_n(c, t) x_n(c', t + delta) image after
 * image with fused multiply-adds, one lane per t, and the lanes at t no window reads (a row's wrap into the next)
 * hold products that are never used. Each window's sum is then added up from P in double, down its rows and
 * along its columns (windows that overlap share their common rows' sums), and rounded to float once.
 * <p>
 * The images are copied into scratch (their zero padding, and a plane of ones after their channels when
 * {@code ones}: the bias column is the correlation with it). Tiles of three channels c (or the one) by five columns (c', di,
 * dj; the ones plane is one more column) keep fifteen accumulators per vector of t over the whole batch, then
 * place their windows' sums. Every lane is one fused multiply-add chain in image order, whatever the lanes and
 * the tiles, and each entry of C comes from one tile: the same bits on any number of threads and with any vector
 * width, and the scalar twin ({@link #scalar}) computes exactly that. Threads claim tiles; nothing is allocated
 * per call once the scratch has grown.
 */
public final class ShiftedGram implements WorkerPool.Task {
    private static final VectorSpecies<Float> F = Simd.FLOAT;
    private static final int LANES = F == null ? 1 : F.length();
    /** Channels (rows of a tile) and columns (c', di, dj) of a tile: fifteen accumulators, eight loads per fifteen fma. */
    static final int TILE_ROWS = 3, TILE_COLUMNS = 5;
    private static final ThreadLocal<ShiftedGram> PER_THREAD = ThreadLocal.withInitial(ShiftedGram::new);
    /** A part's correlation images of one tile, and its window sums. */
    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private final AtomicInteger nextTile = new AtomicInteger();
    private final Layout layout = new Layout();
    private float[] img = new float[0], c;
    private int cOff;

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
            scalar(s, ones, x, xOff, c, cOff);
            return;
        }
        ShiftedGram job = PER_THREAD.get();
        Layout l = job.layout;
        l.prepare(s, ones, LANES);
        if (job.img.length < l.scratch) job.img = new float[l.scratch];
        l.copyImages(x, xOff, job.img);
        job.c = c;
        job.cOff = cOff;
        job.nextTile.set(0);
        WorkerPool pool = Gemm.pool();
        int parts = Math.min(pool.threads(), l.tiles());
        try {
            if (parts == 1 || !pool.tryRun(job, parts)) job.runPart(0, 1);
        } finally {
            job.c = null;
        }
        if (ones) c[cOff + (l.n - 1) * l.n + l.n - 1] = (float) ((double) s.batch() * s.positions());
    }

    @Override
    public void runPart(int part, int parts) {
        Work w = WORK.get();
        Layout l = layout;
        int per = TILE_ROWS * TILE_COLUMNS * l.maxVectors * LANES;
        if (w.p.length < per) w.p = new float[per];
        if (w.sums.length < l.windowSize()) w.sums = new double[l.windowSize()];
        for (int tile = nextTile.getAndIncrement(), tiles = l.tiles(); tile < tiles; tile = nextTile.getAndIncrement()) {
            // Column tiles slow, row blocks fast: the widest correlations (small di) are claimed first.
            int rb = tile % l.rowBlocks, cb = tile / l.rowBlocks;
            // One channel (a first layer) would fill a 3-channel tile with copies of itself: its own 1 x 5 tiles.
            int stride = l.channels == 1 ? correlateOne(cb, w.p) : correlate(rb, cb, w.p);
            for (int r = 0; r < TILE_ROWS && rb * TILE_ROWS + r < l.channels; r++) {
                for (int q = 0; q < TILE_COLUMNS && cb * TILE_COLUMNS + q < l.columns; q++) {
                    l.place(rb * TILE_ROWS + r, cb * TILE_COLUMNS + q, w.p, (r * TILE_COLUMNS + q) * stride, w.sums, c, cOff);
                }
            }
        }
    }

    /**
     * The tile's correlation images, (r TILE_COLUMNS + q) stride floats apart in p, over its columns' widest run
     * of t; returns stride. Channels and columns past the last are read as the last one and not placed.
     */
    private int correlate(int rb, int cb, float[] p) {
        Layout l = layout;
        float[] x = img;
        int[] rowAt = l.rowAt, colAt = l.colAt;
        int r0 = rb * TILE_ROWS, q0 = cb * TILE_COLUMNS, lastRow = l.channels - 1, lastColumn = l.columns - 1;
        int a0 = rowAt[Math.min(r0, lastRow)], a1 = rowAt[Math.min(r0 + 1, lastRow)], a2 = rowAt[Math.min(r0 + 2, lastRow)];
        int b0 = colAt[Math.min(q0, lastColumn)], b1 = colAt[Math.min(q0 + 1, lastColumn)], b2 = colAt[Math.min(q0 + 2, lastColumn)];
        int b3 = colAt[Math.min(q0 + 3, lastColumn)], b4 = colAt[Math.min(q0 + 4, lastColumn)];
        int vectors = l.tileVectors[cb], stride = vectors * LANES, slot = l.slot, end = l.batch * slot;
        for (int t = 0; t < stride; t += LANES) {
            FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
            FloatVector s04 = FloatVector.zero(F), s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F);
            FloatVector s13 = FloatVector.zero(F), s14 = FloatVector.zero(F), s20 = FloatVector.zero(F), s21 = FloatVector.zero(F);
            FloatVector s22 = FloatVector.zero(F), s23 = FloatVector.zero(F), s24 = FloatVector.zero(F);
            for (int base = t; base < end + t; base += slot) {
                FloatVector x0 = FloatVector.fromArray(F, x, a0 + base);
                FloatVector x1 = FloatVector.fromArray(F, x, a1 + base);
                FloatVector x2 = FloatVector.fromArray(F, x, a2 + base);
                FloatVector y = FloatVector.fromArray(F, x, b0 + base);
                s00 = x0.fma(y, s00);
                s10 = x1.fma(y, s10);
                s20 = x2.fma(y, s20);
                y = FloatVector.fromArray(F, x, b1 + base);
                s01 = x0.fma(y, s01);
                s11 = x1.fma(y, s11);
                s21 = x2.fma(y, s21);
                y = FloatVector.fromArray(F, x, b2 + base);
                s02 = x0.fma(y, s02);
                s12 = x1.fma(y, s12);
                s22 = x2.fma(y, s22);
                y = FloatVector.fromArray(F, x, b3 + base);
                s03 = x0.fma(y, s03);
                s13 = x1.fma(y, s13);
                s23 = x2.fma(y, s23);
                y = FloatVector.fromArray(F, x, b4 + base);
                s04 = x0.fma(y, s04);
                s14 = x1.fma(y, s14);
                s24 = x2.fma(y, s24);
            }
            s00.intoArray(p, t);
            s01.intoArray(p, stride + t);
            s02.intoArray(p, 2 * stride + t);
            s03.intoArray(p, 3 * stride + t);
            s04.intoArray(p, 4 * stride + t);
            s10.intoArray(p, 5 * stride + t);
            s11.intoArray(p, 6 * stride + t);
            s12.intoArray(p, 7 * stride + t);
            s13.intoArray(p, 8 * stride + t);
            s14.intoArray(p, 9 * stride + t);
            s20.intoArray(p, 10 * stride + t);
            s21.intoArray(p, 11 * stride + t);
            s22.intoArray(p, 12 * stride + t);
            s23.intoArray(p, 13 * stride + t);
            s24.intoArray(p, 14 * stride + t);
        }
        return stride;
    }

    /** {@link #correlate} for one channel: five accumulators, six loads per five fma. */
    private int correlateOne(int cb, float[] p) {
        Layout l = layout;
        float[] x = img;
        int[] colAt = l.colAt;
        int q0 = cb * TILE_COLUMNS, lastColumn = l.columns - 1, a0 = l.rowAt[0];
        int b0 = colAt[Math.min(q0, lastColumn)], b1 = colAt[Math.min(q0 + 1, lastColumn)], b2 = colAt[Math.min(q0 + 2, lastColumn)];
        int b3 = colAt[Math.min(q0 + 3, lastColumn)], b4 = colAt[Math.min(q0 + 4, lastColumn)];
        int vectors = l.tileVectors[cb], stride = vectors * LANES, slot = l.slot, end = l.batch * slot;
        for (int t = 0; t < stride; t += LANES) {
            FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
            FloatVector s04 = FloatVector.zero(F);
            for (int base = t; base < end + t; base += slot) {
                FloatVector x0 = FloatVector.fromArray(F, x, a0 + base);
                s00 = x0.fma(FloatVector.fromArray(F, x, b0 + base), s00);
                s01 = x0.fma(FloatVector.fromArray(F, x, b1 + base), s01);
                s02 = x0.fma(FloatVector.fromArray(F, x, b2 + base), s02);
                s03 = x0.fma(FloatVector.fromArray(F, x, b3 + base), s03);
                s04 = x0.fma(FloatVector.fromArray(F, x, b4 + base), s04);
            }
            s00.intoArray(p, t);
            s01.intoArray(p, stride + t);
            s02.intoArray(p, 2 * stride + t);
            s03.intoArray(p, 3 * stride + t);
            s04.intoArray(p, 4 * stride + t);
        }
        return stride;
    }

    /**
     * The scalar twin: the same correlation images lane by lane (each a fused multiply-add chain in image order)
     * and the same windows' sums, on the calling thread.
     */
    static void scalar(ConvShape s, boolean ones, float[] x, int xOff, float[] c, int cOff) {
        if (!applies(s)) throw new IllegalArgumentException("ShiftedGram needs one group and stride 1, got " + s);
        Layout l = new Layout();
        l.prepare(s, ones, 1);
        float[] img = new float[l.scratch], p = new float[l.plane];
        double[] sums = new double[l.windowSize()];
        l.copyImages(x, xOff, img);
        for (int r = 0; r < l.channels; r++) {
            for (int q = 0; q < l.columns; q++) {
                for (int t = 0; t < l.colEnd[q]; t++) {
                    float acc = 0f;
                    for (int n = 0; n < l.batch; n++) acc = Math.fma(img[n * l.slot + l.rowAt[r] + t], img[n * l.slot + l.colAt[q] + t], acc);
                    p[t] = acc;
                }
                l.place(r, q, p, 0, sums, c, cOff);
            }
        }
        if (ones) c[cOff + (l.n - 1) * l.n + l.n - 1] = (float) ((double) s.batch() * s.positions());
    }

    /** A part's buffers: a tile's correlation images and one image's window sums. */
    private static final class Work {
        float[] p = new float[0];
        double[] sums = new double[0];
    }

    /**
     * The call's shape in scratch: each image's padded planes (and its ones plane) one after another, slot floats
     * per image; the channels' offsets in a slot (rows of tiles), and the columns (c', di, dj), ordered by di, each
     * with its plane's offset plus delta and the end of the t its windows read.
     */
    static final class Layout {
        ConvShape s;
        boolean ones;
        int n, batch, channels, columns, width, plane, slot, scratch, rowBlocks, maxVectors;
        int[] rowAt = new int[0], colAt = new int[0], colPlane = new int[0], colDi = new int[0], colDj = new int[0];
        int[] colEnd = new int[0], tileVectors = new int[0];

        void prepare(ConvShape shape, boolean withOnes, int lanes) {
            s = shape;
            ones = withOnes;
            n = rows(s, ones);
            batch = s.batch();
            channels = s.channels();
            width = s.width() + 2 * s.padW();
            plane = (s.height() + 2 * s.padH()) * width;
            slot = (channels + (ones ? 1 : 0)) * plane;
            rowBlocks = (channels + TILE_ROWS - 1) / TILE_ROWS;
            int offsets = s.kw() + (s.kh() - 1) * (2 * s.kw() - 1);
            columns = channels * offsets + (ones ? 1 : 0);
            if (colAt.length < columns) {
                colAt = new int[columns];
                colPlane = new int[columns];
                colDi = new int[columns];
                colDj = new int[columns];
                colEnd = new int[columns];
            }
            if (rowAt.length < channels) rowAt = new int[channels];
            for (int c = 0; c < channels; c++) rowAt[c] = c * plane;
            int q = 0;
            if (ones) q = column(q, channels, 0, 0);
            for (int di = 0; di < s.kh(); di++) {
                for (int c = 0; c < channels; c++) {
                    for (int dj = di == 0 ? 0 : 1 - s.kw(); dj < s.kw(); dj++) q = column(q, c, di, dj);
                }
            }
            int tiles = (columns + TILE_COLUMNS - 1) / TILE_COLUMNS, reach = (channels - 1) * plane;
            if (tileVectors.length < tiles) tileVectors = new int[tiles];
            maxVectors = 0;
            for (int cb = 0; cb < tiles; cb++) {
                int end = 0;
                for (int k = cb * TILE_COLUMNS; k < Math.min(columns, (cb + 1) * TILE_COLUMNS); k++) end = Math.max(end, colEnd[k]);
                tileVectors[cb] = (end + lanes - 1) / lanes;
                maxVectors = Math.max(maxVectors, tileVectors[cb]);
                // Columns and channels past the last are read as the last one, as far as the tile's run.
                for (int k = cb * TILE_COLUMNS; k < (cb + 1) * TILE_COLUMNS; k++) {
                    reach = Math.max(reach, colAt[Math.min(k, columns - 1)] + tileVectors[cb] * lanes);
                }
                reach = Math.max(reach, (channels - 1) * plane + tileVectors[cb] * lanes);
            }
            scratch = (batch - 1) * slot + Math.max(slot, reach);
        }

        /** Column q: plane c' (the ones plane when c' = channels) at offset (di, dj); returns q + 1. */
        private int column(int q, int c, int di, int dj) {
            int uEnd = (s.kh() - 1 - di) * s.dilationH() + s.outHeight();
            int vEnd = (s.kw() - 1 - Math.max(dj, 0)) * s.dilationW() + s.outWidth();
            colPlane[q] = c;
            colDi[q] = di;
            colDj[q] = dj;
            colAt[q] = c * plane + di * s.dilationH() * width + dj * s.dilationW();
            colEnd[q] = (uEnd - 1) * width + vEnd;
            return q + 1;
        }

        int tiles() {
            return rowBlocks * ((columns + TILE_COLUMNS - 1) / TILE_COLUMNS);
        }

        /** Doubles of one correlation image's window sums: a row of width per window row, three more, and one row's windows. */
        int windowSize() {
            return (s.kh() + 3) * width + s.kw();
        }

        /** Images of x into their slots: zero padding around each plane's rows, and the ones plane. */
        void copyImages(float[] x, int xOff, float[] img) {
            int h = s.height(), w = s.width(), ph = s.padH(), pw = s.padW(), hp = plane / width;
            for (int b = 0; b < batch; b++) {
                int to = b * slot, from = xOff + b * s.imageSize();
                for (int c = 0; c < channels; c++, to += plane) {
                    Arrays.fill(img, to, to + ph * width, 0f);
                    for (int r = 0; r < h; r++) {
                        int at = to + (r + ph) * width + pw;
                        Arrays.fill(img, at - pw, at, 0f);
                        System.arraycopy(x, from + (c * h + r) * w, img, at, w);
                        Arrays.fill(img, at + w, at + w + pw, 0f);
                    }
                    Arrays.fill(img, to + (h + ph) * width, to + hp * width, 0f);
                }
                if (ones) Arrays.fill(img, to, to + plane, 1f);
            }
        }

        /**
         * Places the windows of channel r's correlation image with column q (at p[pOff + t]) into C: the entries
         * of taps (r, i, j) and (c', i + di, j + dj) and their mirrors, or (r, i, j) and the ones row. A di = dj = 0
         * pair of two channels is placed by the lower channel's tile only. Each window's sum adds exactly its own
         * positions (no prefix differences: a value next to a window, even an infinite one, never reaches it).
         */
        void place(int r, int q, float[] p, int pOff, double[] sums, float[] c, int cOff) {
            int cq = colPlane[q], di = colDi[q], dj = colDj[q];
            if (di == 0 && dj == 0 && cq < r) return;
            int kh = s.kh(), kw = s.kw(), dh = s.dilationH(), dw = s.dilationW(), oh = s.outHeight(), ow = s.outWidth();
            int iEnd = kh - di, jLo = Math.max(0, -dj), jHi = kw - Math.max(0, dj), nj = jHi - jLo;
            int vLo = jLo * dw, span = (jHi - 1) * dw + ow - vLo;
            // sums: the iEnd windows' column sums V_i(v) (span each), then three rows of work, then one row's windows.
            int core = iEnd * span, head = core + span, tail = head + span, out = tail + span;
            columnSums(p, pOff + vLo, iEnd, dh, oh, span, sums, core);
            for (int i = 0; i < iEnd; i++) {
                slidingSums(sums, i * span, nj, dw, ow, sums, out);
                for (int j = jLo; j < jHi; j++) {
                    float value = (float) sums[out + j - jLo];
                    int a = (r * kh + i) * kw + j, b = cq == channels ? n - 1 : (cq * kh + i + di) * kw + j + dj;
                    c[cOff + a * n + b] = value;
                    c[cOff + b * n + a] = value;
                }
            }
        }

        /**
         * V_i(v) = the sum of P(u, v) over the rows u of window i, [i step, i step + length), for i < windows and
         * span columns from p[from] (rows width apart), into sums[i span + v]. The windows share their rows from
         * (windows - 1) step to length (the core, when it is not empty): each is its core plus the rows above it
         * down to the core (gathered from the last window up) plus the rows below the core (from the first down).
         */
        private void columnSums(float[] p, int from, int windows, int step, int length, int span, double[] sums, int work) {
            int core = work, head = work + span, tail = work + 2 * span, shared = (windows - 1) * step;
            if (shared >= length) {
                for (int i = 0; i < windows; i++) {
                    int to = i * span;
                    Arrays.fill(sums, to, to + span, 0.0);
                    for (int u = i * step; u < i * step + length; u++) addRow(p, from + u * width, sums, to, span);
                }
                return;
            }
            Arrays.fill(sums, core, core + 3 * span, 0.0);
            for (int u = shared; u < length; u++) addRow(p, from + u * width, sums, core, span);
            for (int i = windows - 1; i >= 0; i--) {
                if (i < windows - 1) {
                    for (int u = i * step; u < (i + 1) * step; u++) addRow(p, from + u * width, sums, head, span);
                }
                for (int v = 0; v < span; v++) sums[i * span + v] = sums[head + v] + sums[core + v];
            }
            for (int i = 1; i < windows; i++) {
                for (int u = length + (i - 1) * step; u < length + i * step; u++) addRow(p, from + u * width, sums, tail, span);
                for (int v = 0; v < span; v++) sums[i * span + v] += sums[tail + v];
            }
        }

        private static void addRow(float[] p, int from, double[] sums, int to, int span) {
            for (int v = 0; v < span; v++) sums[to + v] += p[from + v];
        }

        /**
         * out[w] = the sum of a[from + w step + m] over m < length, for w < windows, by the same core, head and
         * tail as {@link #columnSums} (exact subsets of the values, no differences).
         */
        private static void slidingSums(double[] a, int from, int windows, int step, int length, double[] out, int to) {
            int shared = (windows - 1) * step;
            if (shared >= length) {
                for (int w = 0; w < windows; w++) {
                    double sum = 0;
                    for (int m = w * step; m < w * step + length; m++) sum += a[from + m];
                    out[to + w] = sum;
                }
                return;
            }
            double core = 0, head = 0, tail = 0;
            for (int m = shared; m < length; m++) core += a[from + m];
            for (int w = windows - 1; w >= 0; w--) {
                if (w < windows - 1) {
                    for (int m = w * step; m < (w + 1) * step; m++) head += a[from + m];
                }
                out[to + w] = head + core;
            }
            for (int w = 1; w < windows; w++) {
                for (int m = length + (w - 1) * step; m < length + w * step; m++) tail += a[from + m];
                out[to + w] += tail;
            }
        }
    }
}

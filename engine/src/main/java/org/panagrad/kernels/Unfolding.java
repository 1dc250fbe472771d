package org.panagrad.kernels;

/**
 * A batch's patch matrices written out whole (im2col, {@link Patches}): for every image n and group g, the
 * {@code (C/groups) kh kw} x {@code outH outW} patch matrix of the convolution s, at
 * {@code yOff + (n * groups + g) * patchRows * positions}. That is the output of the convolution of x with the
 * identity kernel (K x K per group, K = (C/groups) kh kw), got by copying instead of by a GEMM with K times the
 * work: the per-sample gradients and Kronecker factors of a convolution read these rows. Images are shared out
 * over the GEMM's worker pool in contiguous ranges; nothing is allocated per call.
 */
public final class Unfolding implements WorkerPool.Task {
    private static final ThreadLocal<Unfolding> PER_THREAD = ThreadLocal.withInitial(Unfolding::new);
    /** Below this many floats written, waking a second thread costs more than it saves. */
    static final int PARALLEL_MIN_FLOATS = 1 << 16;

    private ConvShape s;
    /** Whether the patches go channel-major, [groups K, batch, positions], instead of [batch, groups K, positions]. */
    private boolean channelMajor;
    private float[] x, y;
    private int xOff, yOff;
    private boolean simd;

    private Unfolding() {}

    /** y {@code [batch, groups K, outH, outW]} = the patches of x {@code [batch, C, H, W]} under s (s.outChannels() is ignored). */
    public static void unfold(ConvShape s, float[] x, int xOff, float[] y, int yOff) {
        unfold(s, x, xOff, y, yOff, Simd.ENABLED);
    }

    /** The same, by the SIMD body or by the scalar twin (tests compare both in one JVM). */
    static void unfold(ConvShape s, float[] x, int xOff, float[] y, int yOff, boolean simd) {
        run(s, x, xOff, y, yOff, simd, false);
    }

    /**
     * y {@code [groups K, batch, outH, outW]} = the patches of x channel-major: patch row (g K + r) of image n at
     * {@code yOff + ((g K + r) batch + n) positions}, so that each row of the result is one patch entry over the
     * whole batch (a convolution's Kronecker factors are the Gram products of those rows).
     */
    public static void unfoldChannelMajor(ConvShape s, float[] x, int xOff, float[] y, int yOff) {
        unfoldChannelMajor(s, x, xOff, y, yOff, Simd.ENABLED);
    }

    static void unfoldChannelMajor(ConvShape s, float[] x, int xOff, float[] y, int yOff, boolean simd) {
        run(s, x, xOff, y, yOff, simd, true);
    }

    private static void run(ConvShape s, float[] x, int xOff, float[] y, int yOff, boolean simd, boolean channelMajor) {
        WorkerPool pool = Gemm.pool();
        int parts = parts(s, pool.threads());
        Unfolding job = PER_THREAD.get();
        job.s = s;
        job.x = x;
        job.xOff = xOff;
        job.y = y;
        job.yOff = yOff;
        job.simd = simd;
        job.channelMajor = channelMajor;
        try {
            if (parts == 1 || !pool.tryRun(job, parts)) job.images(0, s.batch());
        } finally {
            job.x = job.y = null;
        }
    }

    /** How many parts the patches of s are shared out in over {@code threads} threads: one below PARALLEL_MIN_FLOATS. */
    static int parts(ConvShape s, int threads) {
        long floats = (long) s.batch() * s.groups() * s.patchRows() * s.positions();
        return floats >= PARALLEL_MIN_FLOATS ? Math.min(threads, s.batch()) : 1;
    }

    @Override
    public void runPart(int part, int parts) {
        images(s.batch() * part / parts, s.batch() * (part + 1) / parts);
    }

    private void images(int n0, int n1) {
        int block = s.patchRows() * s.positions(), rowStride = s.batch() * s.positions();
        for (int n = n0; n < n1; n++) {
            int image = xOff + n * s.imageSize();
            for (int g = 0; g < s.groups(); g++) {
                if (channelMajor) {
                    Patches.im2colRows(s, x, image, g, y, yOff + g * s.patchRows() * rowStride + n * s.positions(), rowStride, simd);
                } else {
                    Patches.im2col(s, x, image, g, 0, s.outHeight(), y, yOff + (n * s.groups() + g) * block, simd);
                }
            }
        }
    }
}

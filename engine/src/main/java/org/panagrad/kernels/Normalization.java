package org.panagrad.kernels;

/**
 * Per-channel passes of batch normalisation over a tensor seen as [outer, channels, inner] (NCHW: N, C, H*W):
 * channel c is the {@code outer} contiguous runs of {@code inner} elements at (o * channels + c) * inner.
 * A call runs over the worker pool ({@link ItemSplit}) by images (outer), each item computed as on one thread, so
 * the same bits at any thread count. The sums walk memory in order, image by image, adding each run to its
 * channel's double sums in image order, in {@link #SUM_CHUNKS} fixed chunks of images whose sums are then added
 * in chunk order. (Split by channels, each part walked every image for a few runs of each: at 7 x 7, three cache
 * lines every 12 KB; two threads took 1.3x the time of one, fastest calls on a loaded machine.)
 */
public final class Normalization {
    private Normalization() {}

    /** Chunks of images whose per-channel sums are added at the end, in order (fixed: the bits do not depend on threads). */
    static final int SUM_CHUNKS = 8;

    /**
     * The mean and the biased variance of every channel, in one pass per channel: out[c] = mean,
     * out[channels + c] = variance. Sums are taken about the channel's first element (a shift that keeps
     * E[x^2] - E[x]^2 from cancelling when the mean is large against the spread), in float lanes per run and
     * in double across runs.
     */
    public static void moments(int outer, int channels, int inner, float[] x, int xOff, float[] out, int outOff) {
        Job job = Job.current();
        job.x = x;
        job.xOff = xOff;
        job.out = out;
        job.outOff = outOff;
        job.run(Kind.MOMENTS, outer, channels, inner);
    }

    /** out = x * scale[c] + shift[c] along every channel c, in one pass. out may be x. */
    public static void affine(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                              float[] shift, int shiftOff, float[] out, int outOff) {
        setAffine(Job.current(), x, xOff, scale, scaleOff, shift, shiftOff, out, outOff).run(Kind.AFFINE, outer, channels, inner);
    }

    private static void affineImages(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                                     float[] shift, int shiftOff, float[] out, int outOff) {
        if (Simd.ENABLED) NormalizationSimd.affine(outer, channels, inner, x, xOff, scale, scaleOff, shift, shiftOff, out, outOff);
        else NormalizationScalar.affine(outer, channels, inner, x, xOff, scale, scaleOff, shift, shiftOff, out, outOff);
    }

    /**
     * Two sums per channel of g and x (same shape), in one pass over both, run by run: out[c] = sum g, out[channels + c] =
     * sum g * x. Batch norm's backward needs both (the bias and scale gradients, and through them the input
     * gradient); per run one loop keeping the float lane sums of {@link Reductions}' sum and dot (their bits),
     * double across runs, as {@link #moments}.
     */
    public static void channelDots(int outer, int channels, int inner, float[] g, int gOff, float[] x, int xOff,
                                   float[] out, int outOff) {
        setDots(Job.current(), g, gOff, x, xOff, out, outOff).run(Kind.DOTS, outer, channels, inner);
    }

    /**
     * out = a * sa[c] + b * sb[c] + (ha[c] + hb[c]) along every channel c, in one pass: the sum of two
     * per-channel affine maps, which is batch norm's input gradient (of the cotangent and of the input). out may
     * be a or b.
     */
    public static void affinePair(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                                  float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                                  float[] out, int outOff) {
        setPair(Job.current(), a, aOff, sa, saOff, ha, haOff, b, bOff, sb, sbOff, hb, hbOff, out, outOff)
                .run(Kind.AFFINE_PAIR, outer, channels, inner);
    }

    private static void affinePairImages(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                                         float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                                         float[] out, int outOff) {
        if (Simd.ENABLED) {
            NormalizationSimd.affinePair(outer, channels, inner, a, aOff, sa, saOff, ha, haOff, b, bOff, sb, sbOff, hb, hbOff, out, outOff);
        } else {
            NormalizationScalar.affinePair(outer, channels, inner, a, aOff, sa, saOff, ha, haOff, b, bOff, sb, sbOff, hb, hbOff, out, outOff);
        }
    }

    /**
     * out = relu(x * scale[c] + shift[c]): batch norm's output and the ReLU after it in one pass, each element
     * rounded as the two passes round it (one fused multiply-add, then NaN and non-positive values to 0, as
     * {@link Elementwise}'s ReLU). out may be x.
     */
    public static void affineRelu(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                                  float[] shift, int shiftOff, float[] out, int outOff) {
        setAffine(Job.current(), x, xOff, scale, scaleOff, shift, shiftOff, out, outOff).run(Kind.AFFINE_RELU, outer, channels, inner);
    }

    /**
     * out = relu((x * scale[c] + shift[c]) + r): a residual block's last batch norm, the shortcut added and the
     * ReLU, in one pass, rounded as the three passes round it. out may be x or r.
     */
    public static void affineAddRelu(int outer, int channels, int inner, float[] x, int xOff, float[] scale, int scaleOff,
                                     float[] shift, int shiftOff, float[] r, int rOff, float[] out, int outOff) {
        Job job = setAffine(Job.current(), x, xOff, scale, scaleOff, shift, shiftOff, out, outOff);
        job.a = r;
        job.aOff = rOff;
        job.run(Kind.AFFINE_ADD_RELU, outer, channels, inner);
    }

    /** relu of {@link #affinePair}, in the same pass, rounded as the two passes round it. out may be a or b. */
    public static void affinePairRelu(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                                      float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                                      float[] out, int outOff) {
        setPair(Job.current(), a, aOff, sa, saOff, ha, haOff, b, bOff, sb, sbOff, hb, hbOff, out, outOff)
                .run(Kind.AFFINE_PAIR_RELU, outer, channels, inner);
    }

    /**
     * {@link #channelDots} of g masked by ReLU's derivative, where the ReLU's input was x * fs[c] + fh[c] (batch
     * norm's forward, {@link #affineRelu}): the mask recomputed from x, which the pass reads anyway, so neither the
     * masked g nor the ReLU's output is read; the same sums bit for bit as the mask's pass followed by channelDots.
     */
    public static void maskedChannelDots(int outer, int channels, int inner, float[] g, int gOff, float[] x, int xOff,
                                         float[] fs, int fsOff, float[] fh, int fhOff, float[] out, int outOff) {
        Job job = setDots(Job.current(), g, gOff, x, xOff, out, outOff);
        job.fs = fs;
        job.fsOff = fsOff;
        job.fh = fh;
        job.fhOff = fhOff;
        job.run(Kind.MASKED_DOTS, outer, channels, inner);
    }

    /**
     * {@link #affinePair} whose first operand is masked as {@link #maskedChannelDots} masks g (where b * fs[c] +
     * fh[c] > 0, b being batch norm's input): the same bits as the mask's pass followed by affinePair. out may be a or b.
     */
    public static void maskedAffinePair(int outer, int channels, int inner, float[] a, int aOff, float[] sa, int saOff,
                                        float[] ha, int haOff, float[] b, int bOff, float[] sb, int sbOff, float[] hb, int hbOff,
                                        float[] fs, int fsOff, float[] fh, int fhOff, float[] out, int outOff) {
        Job job = setPair(Job.current(), a, aOff, sa, saOff, ha, haOff, b, bOff, sb, sbOff, hb, hbOff, out, outOff);
        job.fs = fs;
        job.fsOff = fsOff;
        job.fh = fh;
        job.fhOff = fhOff;
        job.run(Kind.MASKED_AFFINE_PAIR, outer, channels, inner);
    }

    private static Job setAffine(Job job, float[] x, int xOff, float[] scale, int scaleOff, float[] shift, int shiftOff,
                                 float[] out, int outOff) {
        job.x = x;
        job.xOff = xOff;
        job.sa = scale;
        job.saOff = scaleOff;
        job.ha = shift;
        job.haOff = shiftOff;
        job.out = out;
        job.outOff = outOff;
        return job;
    }

    private static Job setDots(Job job, float[] g, int gOff, float[] x, int xOff, float[] out, int outOff) {
        job.a = g;
        job.aOff = gOff;
        job.x = x;
        job.xOff = xOff;
        job.out = out;
        job.outOff = outOff;
        return job;
    }

    private static Job setPair(Job job, float[] a, int aOff, float[] sa, int saOff, float[] ha, int haOff, float[] b, int bOff,
                               float[] sb, int sbOff, float[] hb, int hbOff, float[] out, int outOff) {
        job.a = a;
        job.aOff = aOff;
        job.sa = sa;
        job.saOff = saOff;
        job.ha = ha;
        job.haOff = haOff;
        job.x = b;
        job.xOff = bOff;
        job.sb = sb;
        job.sbOff = sbOff;
        job.hb = hb;
        job.hbOff = hbOff;
        job.out = out;
        job.outOff = outOff;
        return job;
    }

    /**
     * PyTorch's running-statistics update after a training batch of n values per channel: running = (1 - momentum)
     * * running + momentum * batch, with the batch variance unbiased (times n / (n - 1)). moments holds the
     * batch's means then its biased variances, as {@link #moments} writes them. A few dozen channels: a plain loop.
     */
    public static void updateRunning(int channels, float momentum, long n, float[] moments, int momentsOff,
                                     float[] mean, int meanOff, float[] var, int varOff) {
        float keep = 1 - momentum, unbias = (float) ((double) n / (n - 1));
        for (int c = 0; c < channels; c++) {
            mean[meanOff + c] = keep * mean[meanOff + c] + momentum * moments[momentsOff + c];
            var[varOff + c] = keep * var[varOff + c] + momentum * moments[momentsOff + channels + c] * unbias;
        }
    }

    private enum Kind { MOMENTS, DOTS, MASKED_DOTS, AFFINE, AFFINE_RELU, AFFINE_ADD_RELU, AFFINE_PAIR, AFFINE_PAIR_RELU, MASKED_AFFINE_PAIR }

    /**
     * One call of a per-channel pass, split over the pool by images: the sums in fixed chunks, the affine maps image by image. The
     * operands' roles: x the input (b of the pair), a the cotangent (a of the pair; the shortcut of
     * affineAddRelu), sa/ha and sb/hb the per-channel scales and shifts, fs/fh those of the batch norm whose ReLU
     * masks the cotangent; acc holds each chunk's per-channel double sums, then their total. One per calling thread,
     * reused.
     */
    private static final class Job extends ItemSplit {
        private static final ThreadLocal<Job> PER_THREAD = ThreadLocal.withInitial(Job::new);

        static Job current() {
            return PER_THREAD.get();
        }

        private Kind kind;
        private int outer, channels, inner;
        float[] x, a, sa, ha, sb, hb, fs, fh, out;
        int xOff, aOff, saOff, haOff, sbOff, hbOff, fsOff, fhOff, outOff;
        private double[] acc = new double[0];

        void run(Kind kind, int outer, int channels, int inner) {
            this.kind = kind;
            this.outer = outer;
            this.channels = channels;
            this.inner = inner;
            try {
                long size = (long) outer * channels * inner * (kind == Kind.MOMENTS ? 1 : 2);
                if (kind == Kind.MOMENTS || kind == Kind.DOTS || kind == Kind.MASKED_DOTS) {
                    // Items are the fixed chunks of images, each summed into its own slice of acc.
                    int chunks = Math.min(outer, SUM_CHUNKS);
                    if (acc.length < (chunks + 1) * 2 * channels) acc = new double[(chunks + 1) * 2 * channels];
                    run(chunks, chunks == 0 ? 0 : size / chunks);
                    addChunks(chunks);
                } else {
                    run(outer, outer == 0 ? 0 : size / outer);
                }
            } finally {
                x = a = sa = ha = sb = hb = fs = fh = out = null;
            }
        }

        /** The chunks' sums added in chunk order into the slice after them, then finished into out. */
        private void addChunks(int chunks) {
            int total = chunks * 2 * channels;
            for (int i = 0; i < 2 * channels; i++) {
                double s = 0;
                for (int k = 0; k < chunks; k++) s += acc[k * 2 * channels + i];
                acc[total + i] = s;
            }
            if (kind != Kind.MOMENTS) {
                store(channels, acc, total, out, outOff);
                return;
            }
            for (int c = 0; c < channels; c++) {
                double shift = outer == 0 ? 0 : x[xOff + c * inner];
                finish(shift, acc[total + c], acc[total + channels + c], (long) outer * inner, out, outOff + c, outOff + channels + c);
            }
        }

        @Override
        void runItems(int from, int to) {
            if (kind == Kind.MOMENTS || kind == Kind.DOTS || kind == Kind.MASKED_DOTS) {
                int chunks = Math.min(outer, SUM_CHUNKS);
                for (int k = from; k < to; k++) sumChunk((int) ((long) outer * k / chunks), (int) ((long) outer * (k + 1) / chunks), k * 2 * channels);
                return;
            }
            int image = channels * inner, skip = from * image;
            switch (kind) {
                case AFFINE -> affineImages(to - from, channels, inner, x, xOff + skip, sa, saOff, ha, haOff, out, outOff + skip);
                case AFFINE_PAIR -> affinePairImages(to - from, channels, inner, a, aOff + skip, sa, saOff, ha, haOff,
                        x, xOff + skip, sb, sbOff, hb, hbOff, out, outOff + skip);
                default -> runFused(from, to, skip);
            }
        }

        /** The per-channel sums of images [o0, o1) into acc[accOff..]. */
        private void sumChunk(int o0, int o1, int accOff) {
            boolean simd = Simd.ENABLED;
            switch (kind) {
                case MOMENTS -> {
                    if (simd) NormalizationSimd.moments(channels, o0, o1, inner, x, xOff, acc, accOff);
                    else NormalizationScalar.moments(channels, o0, o1, inner, x, xOff, acc, accOff);
                }
                case DOTS -> {
                    if (simd) NormalizationSimd.channelDots(channels, o0, o1, inner, a, aOff, x, xOff, acc, accOff);
                    else NormalizationScalar.channelDots(channels, o0, o1, inner, a, aOff, x, xOff, acc, accOff);
                }
                case MASKED_DOTS -> {
                    if (simd) NormalizationSimd.maskedChannelDots(channels, o0, o1, inner, a, aOff, x, xOff, fs, fsOff, fh, fhOff, acc, accOff);
                    else NormalizationScalar.maskedChannelDots(channels, o0, o1, inner, a, aOff, x, xOff, fs, fsOff, fh, fhOff, acc, accOff);
                }
                default -> throw new IllegalStateException("not a sum: " + kind);
            }
        }

        /** The kinds that fuse ReLU or its mask into a pass. */
        private void runFused(int from, int to, int skip) {
            boolean simd = Simd.ENABLED;
            int images = to - from;
            switch (kind) {
                case AFFINE_RELU -> {
                    if (simd) NormalizationSimd.affineRelu(images, channels, inner, x, xOff + skip, sa, saOff, ha, haOff, out, outOff + skip);
                    else NormalizationScalar.affineRelu(images, channels, inner, x, xOff + skip, sa, saOff, ha, haOff, out, outOff + skip);
                }
                case AFFINE_ADD_RELU -> {
                    if (simd) {
                        NormalizationSimd.affineAddRelu(images, channels, inner, x, xOff + skip, sa, saOff, ha, haOff, a, aOff + skip,
                                out, outOff + skip);
                    } else {
                        NormalizationScalar.affineAddRelu(images, channels, inner, x, xOff + skip, sa, saOff, ha, haOff, a, aOff + skip,
                                out, outOff + skip);
                    }
                }
                case AFFINE_PAIR_RELU -> {
                    if (simd) {
                        NormalizationSimd.affinePairRelu(images, channels, inner, a, aOff + skip, sa, saOff, ha, haOff,
                                x, xOff + skip, sb, sbOff, hb, hbOff, out, outOff + skip);
                    } else {
                        NormalizationScalar.affinePairRelu(images, channels, inner, a, aOff + skip, sa, saOff, ha, haOff,
                                x, xOff + skip, sb, sbOff, hb, hbOff, out, outOff + skip);
                    }
                }
                case MASKED_AFFINE_PAIR -> {
                    if (simd) {
                        NormalizationSimd.maskedAffinePair(images, channels, inner, a, aOff + skip, sa, saOff, ha, haOff,
                                x, xOff + skip, sb, sbOff, hb, hbOff, fs, fsOff, fh, fhOff, out, outOff + skip);
                    } else {
                        NormalizationScalar.maskedAffinePair(images, channels, inner, a, aOff + skip, sa, saOff, ha, haOff,
                                x, xOff + skip, sb, sbOff, hb, hbOff, fs, fsOff, fh, fhOff, out, outOff + skip);
                    }
                }
                default -> throw new IllegalStateException("not a fused kind: " + kind);
            }
        }
    }

    /** out[c] = (float) acc[accOff + c] and out[channels + c] likewise, for every channel: the per-channel sums' store. */
    static void store(int channels, double[] acc, int accOff, float[] out, int outOff) {
        for (int c = 0; c < 2 * channels; c++) out[outOff + c] = (float) acc[accOff + c];
    }

    /** Mean and biased variance from n elements' sums about a shift: s1 = sum(x - shift), s2 = sum((x - shift)^2). */
    static void finish(double shift, double s1, double s2, long n, float[] out, int meanAt, int varAt) {
        double d = s1 / n;
        out[meanAt] = (float) (shift + d);
        out[varAt] = (float) Math.max(0, s2 / n - d * d);
    }
}

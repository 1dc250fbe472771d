package org.panagrad.kernels;

/**
 * Per-channel passes of batch normalisation over a tensor seen as [outer, channels, inner] (NCHW: N, C, H*W):
 * channel c is the {@code outer} contiguous runs of {@code inner} elements at (o * channels + c) * inner.
 * A call runs over the worker pool ({@link ItemSplit}): the per-channel sums by channels, the affine maps by
 * images (outer), each item computed as on one thread, so the same bits at any thread count. The sums walk
 * memory in order, image by image (a channel's runs are far apart: at 7 x 7, three cache lines every 12 KB),
 * adding each run to its channel's double sums in image order, the order a channel-by-channel walk adds them.
 */
public final class Normalization {
    private Normalization() {}

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
     * One call of a per-channel pass, split over the pool: the sums by channels, the affine maps by images. The
     * operands' roles: x the input (b of the pair), a the cotangent (a of the pair; the shortcut of
     * affineAddRelu), sa/ha and sb/hb the per-channel scales and shifts, fs/fh those of the batch norm whose ReLU
     * masks the cotangent; acc is the per-channel sums' double scratch. One per calling thread, reused.
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
                boolean byChannel = kind == Kind.MOMENTS || kind == Kind.DOTS || kind == Kind.MASKED_DOTS;
                if (byChannel && acc.length < 2 * channels) acc = new double[2 * channels];
                long size = (long) outer * channels * inner * (kind == Kind.MOMENTS ? 1 : 2);
                int items = byChannel ? channels : outer;
                run(items, items == 0 ? 0 : size / items);
            } finally {
                x = a = sa = ha = sb = hb = fs = fh = out = null;
            }
        }

        @Override
        void runItems(int from, int to) {
            int image = channels * inner, skip = from * image;
            switch (kind) {
                case MOMENTS -> {
                    if (Simd.ENABLED) NormalizationSimd.moments(outer, channels, from, to, inner, x, xOff, acc, out, outOff);
                    else NormalizationScalar.moments(outer, channels, from, to, inner, x, xOff, acc, out, outOff);
                }
                case DOTS -> {
                    if (Simd.ENABLED) NormalizationSimd.channelDots(outer, channels, from, to, inner, a, aOff, x, xOff, acc, out, outOff);
                    else NormalizationScalar.channelDots(outer, channels, from, to, inner, a, aOff, x, xOff, acc, out, outOff);
                }
                case AFFINE -> affineImages(to - from, channels, inner, x, xOff + skip, sa, saOff, ha, haOff, out, outOff + skip);
                case AFFINE_PAIR -> affinePairImages(to - from, channels, inner, a, aOff + skip, sa, saOff, ha, haOff,
                        x, xOff + skip, sb, sbOff, hb, hbOff, out, outOff + skip);
                default -> runFused(from, to, skip);
            }
        }

        /** The kinds that fuse ReLU or its mask into a pass. */
        private void runFused(int from, int to, int skip) {
            boolean simd = Simd.ENABLED;
            int images = to - from;
            switch (kind) {
                case MASKED_DOTS -> {
                    if (simd) {
                        NormalizationSimd.maskedChannelDots(outer, channels, from, to, inner, a, aOff, x, xOff, fs, fsOff, fh, fhOff,
                                acc, out, outOff);
                    } else {
                        NormalizationScalar.maskedChannelDots(outer, channels, from, to, inner, a, aOff, x, xOff, fs, fsOff, fh, fhOff,
                                acc, out, outOff);
                    }
                }
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

    /** out[c] = (float) acc[c] and out[channels + c] = (float) acc[channels + c] for channels [c0, c1): the per-channel sums' store. */
    static void store(int channels, int c0, int c1, double[] acc, float[] out, int outOff) {
        for (int c = c0; c < c1; c++) {
            out[outOff + c] = (float) acc[c];
            out[outOff + channels + c] = (float) acc[channels + c];
        }
    }

    /** Mean and biased variance from n elements' sums about a shift: s1 = sum(x - shift), s2 = sum((x - shift)^2). */
    static void finish(double shift, double s1, double s2, long n, float[] out, int meanAt, int varAt) {
        double d = s1 / n;
        out[meanAt] = (float) (shift + d);
        out[varAt] = (float) Math.max(0, s2 / n - d * d);
    }
}

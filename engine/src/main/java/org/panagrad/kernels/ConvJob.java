package org.panagrad.kernels;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One call of {@link Convolution}, cut over the GEMM's worker pool: the forward pass and the input gradient by
 * chunks of images that the parts claim ({@link ClaimedChunks}), the weight gradient by {@link Convolution#WEIGHT_CHUNKS} chunks of the
 * batch that the parts claim, each summed into its own partial, the partials then added in order. One instance
 * per calling thread, reused, and per-thread patch buffers, so the steady state allocates nothing.
 */
final class ConvJob implements WorkerPool.Task {
    enum Kind { FORWARD, INPUT_GRADIENT, WEIGHT_GRADIENT }

    private static final ThreadLocal<ConvJob> PER_THREAD = ThreadLocal.withInitial(ConvJob::new);
    private static final ThreadLocal<float[][]> COLS = ThreadLocal.withInitial(() -> new float[1][0]);
    private static final ThreadLocal<int[][]> ROWS = ThreadLocal.withInitial(() -> new int[1][0]);

    static ConvJob current() {
        return PER_THREAD.get();
    }

    private Kind kind;
    private ConvShape s;
    private float[] a, b, bias, out;
    private int aOff, bOff, biasOff, outOff;
    private boolean relu;
    private int chunks;
    private final AtomicInteger nextChunk = new AtomicInteger();
    /** The forward pass's and the input gradient's chunks of images. */
    private final ClaimedChunks images = new ClaimedChunks();
    private float[] partials = new float[0];
    /**
     * The weight as the path that runs arranges it (ChannelLanesConvolution's forward pass or input gradient, or
     * ImplicitPatches's input gradient), once per call for every part (unused where no part reads it).
     */
    private float[] arranged = new float[0];
    private boolean arrangedUsed;

    void run(Kind kind, ConvShape s, float[] a, int aOff, float[] b, int bOff, float[] bias, int biasOff, boolean relu,
             float[] out, int outOff) {
        this.kind = kind;
        this.s = s;
        this.a = a;
        this.aOff = aOff;
        this.b = b;
        this.bOff = bOff;
        this.bias = bias;
        this.biasOff = biasOff;
        this.relu = relu;
        this.out = out;
        this.outOff = outOff;
        try {
            WorkerPool pool = Gemm.pool();
            long macs = (long) s.batch() * s.outImageSize() * s.patchRows();
            int parts = macs >= GemmJob.PARALLEL_MIN_MACS * pool.threads() ? Math.min(pool.threads(), s.batch()) : 1;
            boolean lanes = kind == Kind.FORWARD && ChannelLanesConvolution.applies(s);
            boolean gradient = kind == Kind.INPUT_GRADIENT && !s.depthwise() && !(Simd.ENABLED && ShiftedTaps.applies(s));
            boolean lanesGradient = gradient && ChannelLanesConvolution.inputGradientApplies(s);
            arrangedUsed = lanes || lanesGradient || gradient && ImplicitPatches.inputGradient(s);
            if (arrangedUsed) {
                // Once per call, not per chunk of images: it costs a tenth of a chunk of layer3's 64 channels.
                int size = lanes ? ChannelLanesConvolution.arrangedWeightFloats(s)
                        : lanesGradient ? ChannelLanesConvolution.inputGradientArrangedFloats(s) : ImplicitPatches.arrangedWeightFloats(s);
                if (arranged.length < size) arranged = new float[size];
                if (lanes) ChannelLanesConvolution.arrangeWeight(s, b, bOff, arranged, 0);
                else if (lanesGradient) ChannelLanesConvolution.arrangeInputGradientWeight(s, b, bOff, arranged, 0);
                else ImplicitPatches.arrangeInputGradientWeight(s, b, bOff, arranged, 0);
            }
            if (kind == Kind.WEIGHT_GRADIENT) {
                runWeightGradient(pool, parts);
            } else if (parts == 1) {
                runImages(0, s.batch());
            } else {
                // Chunks of images that the parts claim: a part whose core is busy does fewer.
                images.reset(Math.min(s.batch(), ItemSplit.CHUNKS_PER_PART * parts));
                if (!pool.tryRun(this, parts)) runImages(0, s.batch());
            }
        } finally {
            this.a = this.b = this.bias = this.out = null;
        }
    }

    @Override
    public void runPart(int part, int parts) {
        if (kind == Kind.WEIGHT_GRADIENT) {
            claimWeightChunks();
        } else {
            int n = s.batch(), chunks = images.count();
            for (int taken = 0, c; (c = images.claim(part, parts, taken)) >= 0; taken++) {
                runImages(n * c / chunks, n * (c + 1) / chunks);
            }
        }
    }

    private void runImages(int n0, int n1) {
        float[] cols = cols(s);
        int[] rows = rows(s);
        if (kind == Kind.FORWARD) {
            Convolution.forwardImages(s, n0, n1, a, aOff, b, bOff, arrangedUsed ? arranged : null, bias, biasOff, relu, out, outOff,
                    cols, rows, Simd.ENABLED);
        } else {
            Convolution.inputGradientImages(s, n0, n1, a, aOff, b, bOff, arrangedUsed ? arranged : null, out, outOff, cols, rows, Simd.ENABLED);
        }
    }

    /**
     * Chunks of the batch into partials[chunk], then their sum in chunk order, transposed into the output
     * ({@link Convolution#finishWeightGradient}).
     */
    private void runWeightGradient(WorkerPool pool, int parts) {
        int size = s.outChannels() * s.patchRows();
        chunks = Math.min(Convolution.WEIGHT_CHUNKS, s.batch());
        if (partials.length < chunks * size) partials = new float[chunks * size];
        nextChunk.set(0);
        if (chunks == 1 || parts == 1 || !pool.tryRun(this, parts)) claimWeightChunks();
        for (int c = 1; c < chunks; c++) Elementwise.axpy(size, 1f, partials, c * size, partials, 0);
        Convolution.finishWeightGradient(s, partials, 0, out, outOff);
    }

    private void claimWeightChunks() {
        float[] cols = cols(s);
        int[] rows = rows(s);
        int size = s.outChannels() * s.patchRows(), n = s.batch();
        for (int c = nextChunk.getAndIncrement(); c < chunks; c = nextChunk.getAndIncrement()) {
            Convolution.weightGradientImages(s, n * c / chunks, n * (c + 1) / chunks, a, aOff, b, bOff, partials,
                    c * size, false, cols, rows, Simd.ENABLED);
        }
    }

    /** This thread's row table for {@link ImplicitPatches}, grown to what s needs. */
    private static int[] rows(ConvShape s) {
        int[][] holder = ROWS.get();
        int size = ImplicitPatches.rowTableSize(s);
        if (holder[0].length < size) holder[0] = new int[size];
        return holder[0];
    }

    /** This thread's patch buffer, grown to one block of s. */
    private static float[] cols(ConvShape s) {
        float[][] holder = COLS.get();
        int size = Convolution.patchBufferSize(s);
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
    }
}

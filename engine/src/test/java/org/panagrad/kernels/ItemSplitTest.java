package org.panagrad.kernels;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The memory-bound kernels that split a call over the worker pool ({@link ItemSplit}): pooling by planes, the
 * dense elementwise kernels by chunks, batch norm's passes by images (its sums in fixed chunks of images) give the same bits on one thread
 * and on two, at sizes that do split (checked) with an odd tail.
 */
class ItemSplitTest {
    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void theSplitStartsAtEnoughFloatsPerThread() {
        assertEquals(1, ItemSplit.parts(100, 1000, 1));
        assertEquals(1, ItemSplit.parts(1, 1 << 20, 2));
        assertEquals(1, ItemSplit.parts(2, ItemSplit.MIN_FLOATS_PER_PART - 1, 2));
        assertEquals(2, ItemSplit.parts(2, ItemSplit.MIN_FLOATS_PER_PART, 2));
        assertEquals(3, ItemSplit.parts(3, ItemSplit.MIN_FLOATS_PER_PART * 4, 4));
    }

    /** Runs kernel into a fresh output at 1 and 2 threads and compares the bits. */
    private static void sameBits(String what, int outSize, Consumer<float[]> kernel) {
        float[][] out = new float[2][outSize];
        for (int t = 0; t < 2; t++) {
            Gemm.setThreads(t + 1);
            java.util.Arrays.fill(out[t], Float.NaN);
            kernel.accept(out[t]);
        }
        assertArrayEquals(out[0], out[1], what);
    }

    @Test
    void poolingGivesTheSameBitsOnTwoThreads() {
        Random rnd = new Random(21);
        ConvShape s = new ConvShape(20, 7, 29, 31, 7, 3, 3, 2, 2, 1, 1, 1, 1, 7);
        int in = s.batch() * s.imageSize(), out = s.batch() * s.outImageSize();
        assertEquals(2, ItemSplit.parts(s.batch() * s.channels(), (long) s.height() * s.width() + s.positions(), 2));
        float[] x = KernelTestSupport.random(rnd, in, -1f, 1f), g = KernelTestSupport.random(rnd, out, -1f, 1f);
        sameBits("max pool", out, y -> Pooling.maxPool(s, x, 0, y, 0));
        sameBits("avg pool", out, y -> Pooling.avgPool(s, x, 0, y, 0));
        sameBits("max pool scatter", in, dx -> Pooling.maxPoolScatter(s, x, 0, g, 0, dx, 0));
        sameBits("max pool gather", out, y -> Pooling.maxPoolGather(s, x, 0, x, 0, y, 0));
        sameBits("avg pool adjoint", in, dx -> Pooling.avgPoolAdjoint(s, g, 0, dx, 0));
    }

    @Test
    void denseElementwiseKernelsGiveTheSameBitsOnTwoThreads() {
        Random rnd = new Random(22);
        int n = 17 * Elementwise.CHUNK + 13;
        assertEquals(2, ItemSplit.parts((n + Elementwise.CHUNK - 1) / Elementwise.CHUNK, 2L * Elementwise.CHUNK, 2));
        float[] x = KernelTestSupport.random(rnd, n + 1, -3f, 3f), y = KernelTestSupport.random(rnd, n + 2, -1f, 1f);
        for (UnaryOp op : UnaryOp.values()) sameBits(op.name(), n + 3, out -> Elementwise.unary(op, n, x, 1, out, 3));
        sameBits("step", n, out -> Elementwise.step(n, 0.5f, x, 1, out, 0));
        sameBits("relu backward", n, out -> Elementwise.reluBackward(n, x, 1, y, 2, out, 0));
    }

    @Test
    void batchNormPassesGiveTheSameBitsOnTwoThreads() {
        Random rnd = new Random(23);
        int outer = 30, channels = 7, inner = 28 * 28 + 3, n = outer * channels * inner;
        assertEquals(2, ItemSplit.parts(outer, 2L * n / outer, 2));
        int chunks = Math.min(outer, Normalization.SUM_CHUNKS);
        assertEquals(2, ItemSplit.parts(chunks, (long) n / chunks, 2));
        float[] x = KernelTestSupport.random(rnd, n + 1, -2f, 2f), g = KernelTestSupport.random(rnd, n + 2, -1f, 1f);
        float[] sa = KernelTestSupport.random(rnd, channels, -1f, 1f), ha = KernelTestSupport.random(rnd, channels, -1f, 1f);
        float[] sb = KernelTestSupport.random(rnd, channels, -1f, 1f), hb = KernelTestSupport.random(rnd, channels, -1f, 1f);
        sameBits("moments", 2 * channels, out -> Normalization.moments(outer, channels, inner, x, 1, out, 0));
        sameBits("channel dots", 2 * channels, out -> Normalization.channelDots(outer, channels, inner, g, 2, x, 1, out, 0));
        sameBits("affine", n, out -> Normalization.affine(outer, channels, inner, x, 1, sa, 0, ha, 0, out, 0));
        sameBits("affine pair", n, out -> Normalization.affinePair(outer, channels, inner, g, 2, sa, 0, ha, 0, x, 1, sb, 0, hb, 0, out, 0));
        sameBits("affine relu", n, out -> Normalization.affineRelu(outer, channels, inner, x, 1, sa, 0, ha, 0, out, 0));
        sameBits("affine add relu", n, out -> Normalization.affineAddRelu(outer, channels, inner, x, 1, sa, 0, ha, 0, g, 2, out, 0));
        sameBits("affine pair relu", n, out -> Normalization.affinePairRelu(outer, channels, inner, g, 2, sa, 0, ha, 0, x, 1, sb, 0, hb, 0, out, 0));
        sameBits("masked channel dots", 2 * channels, out -> Normalization.maskedChannelDots(outer, channels, inner, g, 2, x, 1, sa, 0, ha, 0, out, 0));
        sameBits("masked affine pair", n, out -> Normalization.maskedAffinePair(outer, channels, inner, g, 2, sb, 0, hb, 0,
                x, 1, sa, 0, ha, 0, sa, 0, ha, 0, out, 0));
    }
}

package org.panagrad.kernels;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The memory-bound kernels that split a call over the worker pool ({@link ItemSplit}): pooling by planes, the
 * dense elementwise kernels by chunks, batch norm's passes by channels or images give the same bits on one thread
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
        assertEquals(2, ItemSplit.parts(channels, (long) n / channels, 2));
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

    /**
     * The strided kernels of a transformer's [B*T, d] rows split by rows (or, collapsed to one axis, by chunks): binary
     * ops and chains against per-row statistics, select, broadcast, per-row reductions, layer norm, the head permute
     * and a long scale.
     */
    @Test
    void stridedKernelsGiveTheSameBitsOnTwoThreads() {
        Random rnd = new Random(24);
        int rows = 128 * 17 + 1, d = 64, n = rows * d;
        assertEquals(2, ItemSplit.parts(rows, 2L * d, 2));
        float[] x = KernelTestSupport.random(rnd, n + 1, -2f, 2f), y = KernelTestSupport.random(rnd, n + 2, -1f, 1f);
        float[] col = KernelTestSupport.random(rnd, rows + 3, -1f, 1f), row = KernelTestSupport.random(rnd, d, -1f, 1f);
        int[] full = {rows, d}, perRow = {rows, 1}, dense = Strided.dense(full);
        int[] colStrides = KernelTestSupport.broadcastStrides(perRow, full), rowStrides = KernelTestSupport.broadcastStrides(new int[] {d}, full);
        Strided two = Strided.elementwise(full, dense, colStrides);
        Strided three = Strided.elementwise(full, dense, colStrides, rowStrides);
        Strided flat = Strided.elementwise(full, dense, dense);
        assertEquals(1, flat.rank());
        for (BinaryOp op : BinaryOp.values()) {
            sameBits(op + " per row", n, out -> Elementwise.binary(op, two, x, 1, col, 3, out, 0));
            sameBits(op + " dense", n, out -> Elementwise.binary(op, flat, x, 1, y, 2, out, 0));
        }
        for (ChainOp op : ChainOp.values()) {
            sameBits(op + " chain", n, out -> Elementwise.chain(op, three, x, 1, col, 3, row, 0, out, 0));
        }
        sameBits("select", n, out -> Elementwise.select(three, x, 1, y, 2, row, 0, out, 0));
        sameBits("broadcast", n, out -> Elementwise.broadcast(Strided.elementwise(full, colStrides), col, 3, out, 0));
        Strided lastAxis = Strided.reduction(full, 0b10), firstAxis = Strided.reduction(full, 0b01);
        sameBits("row sums", rows, out -> Reductions.sum(lastAxis, x, 1, out, 0));
        sameBits("row maxima", rows, out -> Reductions.max(lastAxis, x, 1, out, 0));
        sameBits("column sums", d, out -> Reductions.sum(firstAxis, x, 1, out, 0));
        sameBits("layer norm", n, out -> LayerNorm.normalize(rows, d, 1e-6f, x, 1, out, 0));
        sameBits("scale", n, out -> Elementwise.scale(n, 0.37f, x, 1, out, 0));
        int[] heads = {128, 17, 4, 16};
        int m = 128 * 17 * 64;
        StridedCopy permute = StridedCopy.of(heads, StridedCopy.denseStrides(heads), new int[] {17 * 64, 16, 17 * 16, 1});
        sameBits("head permute", m, out -> Layout.copy(permute, x, 1, out, 0));
    }
}

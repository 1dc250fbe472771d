package org.panagrad.kernels;

import org.panagrad.testing.SteadyState;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every kernel entry point allocates nothing once C2 has compiled it. A Vector API value that escapes a
 * method C2 did not inline is boxed on the heap, one object per vector: the failure this guards against.
 * All calls are warmed up interleaved, as the engine calls them, so call-site profiles are as mixed as in a
 * real program. Measures bytes, never time.
 */
class KernelAllocationTest {
    /** Enough calls for C2 (tier 4) to compile and inline every kernel. */
    private static final int WARMUP_ROUNDS = 3000;
    /** GEMM calls are long: their loops reach C2 after fewer calls. */
    private static final int GEMM_WARMUP_ROUNDS = 300;
    private static final int MEASURED_CALLS = 50;
    /** What each test may wait in all for the JIT to settle: a kernel that boxes fails within it, not 60 s per call. */
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(120);

    /**
     * Where the Vector API emulates a width the hardware lacks (the 512-bit run of the tests on an AVX2 machine),
     * every vector operation allocates by design: there is nothing to measure.
     */
    @BeforeAll
    static void onlyAtAWidthTheHardwareRuns() {
        assumeTrue(Simd.NATIVE_WIDTH, "emulated width: " + Simd.describe());
    }

    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void elementwiseSoftmaxReductionsAndUpdatesAllocateNothing() {
        assertAllocateNothing(vectorKernels(), 1, WARMUP_ROUNDS);
    }

    @Test
    void gemmAllocatesNothingOnOneThread() {
        Gemm.setThreads(1);
        assertAllocateNothing(gemmCalls(), 1, GEMM_WARMUP_ROUNDS);
    }

    @Test
    void gemmAllocatesNothingOnTwoThreads() {
        Gemm.setThreads(2);
        assertAllocateNothing(gemmCalls(), 2, GEMM_WARMUP_ROUNDS);
    }

    @Test
    void convolutionAndPoolingAllocateNothingOnTwoThreads() {
        Gemm.setThreads(2);
        assertAllocateNothing(convolutionCalls(), 2, GEMM_WARMUP_ROUNDS);
    }

    @Test
    void splitMemoryBoundKernelsAllocateNothingOnTwoThreads() {
        Gemm.setThreads(2);
        assertAllocateNothing(splitCalls(), 2, GEMM_WARMUP_ROUNDS);
    }

    /** Pooling, dense elementwise kernels and batch norm's passes at sizes that split over the pool (ItemSplit). */
    private static Map<String, Runnable> splitCalls() {
        Random rnd = new Random(10);
        Map<String, Runnable> calls = new LinkedHashMap<>();
        ConvShape p = new ConvShape(32, 6, 28, 28, 6, 2, 2, 2, 2, 0, 0, 1, 1, 6);
        int in = p.batch() * p.imageSize();
        float[] x = KernelTestSupport.random(rnd, in, -1f, 1f), dx = new float[in], g = new float[in];
        float[] y = new float[p.batch() * p.outImageSize()];
        calls.put("max pool", () -> Pooling.maxPool(p, x, 0, y, 0));
        calls.put("max pool scatter", () -> Pooling.maxPoolScatter(p, x, 0, y, 0, dx, 0));
        calls.put("max pool gather", () -> Pooling.maxPoolGather(p, x, 0, dx, 0, y, 0));
        calls.put("avg pool adjoint", () -> Pooling.avgPoolAdjoint(p, y, 0, dx, 0));
        calls.put("relu", () -> Elementwise.unary(UnaryOp.RELU, in, x, 0, g, 0));
        calls.put("tanh", () -> Elementwise.unary(UnaryOp.TANH, in, x, 0, g, 0));
        calls.put("step", () -> Elementwise.step(in, 0.5f, x, 0, g, 0));
        calls.put("reluBackward", () -> Elementwise.reluBackward(in, dx, 0, x, 0, g, 0));
        float[] channel = KernelTestSupport.random(rnd, 6, 0.5f, 1f), moments = new float[12];
        calls.put("batch moments", () -> Normalization.moments(32, 6, 784, x, 0, moments, 0));
        calls.put("channel dots", () -> Normalization.channelDots(32, 6, 784, dx, 0, x, 0, moments, 0));
        calls.put("channel affine", () -> Normalization.affine(32, 6, 784, x, 0, channel, 0, channel, 0, g, 0));
        calls.put("channel affine pair", () -> Normalization.affinePair(32, 6, 784, x, 0, channel, 0, channel, 0, dx, 0,
                channel, 0, channel, 0, g, 0));
        calls.put("channel affine relu", () -> Normalization.affineRelu(32, 6, 784, x, 0, channel, 0, channel, 0, g, 0));
        calls.put("channel affine add relu", () -> Normalization.affineAddRelu(32, 6, 784, x, 0, channel, 0, channel, 0, dx, 0, g, 0));
        calls.put("channel affine pair relu", () -> Normalization.affinePairRelu(32, 6, 784, x, 0, channel, 0, channel, 0, dx, 0,
                channel, 0, channel, 0, g, 0));
        calls.put("masked channel dots", () -> Normalization.maskedChannelDots(32, 6, 784, dx, 0, x, 0, channel, 0, channel, 0, moments, 0));
        calls.put("masked channel affine pair", () -> Normalization.maskedAffinePair(32, 6, 784, dx, 0, channel, 0, channel, 0,
                x, 0, channel, 0, channel, 0, channel, 0, channel, 0, g, 0));
        return calls;
    }

    @Test
    void attentionAllocatesNothingOnTwoThreads() {
        Gemm.setThreads(2);
        Map<String, Runnable> calls = new LinkedHashMap<>();
        Random rnd = new Random(10);
        // vit-tiny's entries claimed by both threads, and long entries whose products are packed GEMMs on each
        // claiming thread (the forward's units there are blocks of query rows).
        attentionCalls(calls, rnd, new AttentionDims(64, 17, 17, 16, 16, 0.25f, true), true);
        // vit-tiny's own kind: neither causal nor masked, each entry's forward done whole.
        attentionCalls(calls, rnd, new AttentionDims(32, 17, 17, 16, 16, 0.25f, false), false);
        attentionCalls(calls, rnd, new AttentionDims(2, 128, 128, 32, 32, 0.125f, false), false);
        assertAllocateNothing(calls, 2, GEMM_WARMUP_ROUNDS);
    }

    /** A fused attention's forward, backward and second order of shape att, with an additive mask when masked. */
    private static void attentionCalls(Map<String, Runnable> calls, Random rnd, AttentionDims att, boolean masked) {
        int part = att.batch() * att.tq() * att.d();
        if (att.tk() != att.tq() || att.dv() != att.d()) throw new IllegalArgumentException("square entries only: " + att);
        float[] attOut = new float[4 * part];
        float[] qkv = KernelTestSupport.random(rnd, part, -1f, 1f);
        AttentionMaskLayout attMask = masked ? new AttentionMaskLayout(KernelTestSupport.random(rnd, att.tq() * att.tk(), -1f, 0f),
                new int[att.batch()], att.tk(), 1, false) : null;
        String at = " " + att.batch() + "x" + att.tq() + "x" + att.d();
        calls.put("attention" + at, () -> Attention.forward(att, attMask, qkv, 0, qkv, 0, qkv, 0, attOut, 0));
        calls.put("attention backward" + at, () -> Attention.backward(att, attMask, qkv, 0, qkv, 0, qkv, 0, qkv, 0,
                attOut, 0, part, 2 * part));
        float[] cotangent = KernelTestSupport.random(rnd, 3 * part, -1f, 1f);
        calls.put("attention second order" + at, () -> Attention.secondOrder(att, attMask, qkv, 0, qkv, 0, qkv, 0,
                qkv, 0, cotangent, 0, part, 2 * part, attOut, 0, part, 2 * part, 3 * part));
    }

    /** The three passes of a convolution split over images and weight chunks, one that is not, the input factor at stride 1, and the pools. */
    private static Map<String, Runnable> convolutionCalls() {
        Random rnd = new Random(9);
        Map<String, Runnable> calls = new LinkedHashMap<>();
        ConvShape[] shapes = {new ConvShape(4, 8, 10, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new ConvShape(2, 3, 9, 7, 4, 3, 2, 2, 1, 1, 0, 1, 1, 1),
                // The weight gradient per tap from the padded copy (ImplicitPatches.weightGradient).
                new ConvShape(4, 16, 10, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                // lenet5's kinds: few channels, every pass on FewRowsProduct or VectorColumnsProduct.
                new ConvShape(4, 1, 12, 12, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),
                new ConvShape(4, 6, 9, 9, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
                // resnet8's layer3.conv2 kind: the forward pass and input gradient with channels in the lanes (ChannelLanesConvolution).
                new ConvShape(4, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)};
        for (ConvShape s : shapes) {
            float[] x = KernelTestSupport.random(rnd, s.batch() * s.imageSize(), -1f, 1f), dx = new float[x.length];
            float[] w = KernelTestSupport.random(rnd, s.outChannels() * s.patchRows(), -1f, 1f), dw = new float[w.length];
            float[] y = new float[s.batch() * s.outImageSize()], bias = new float[s.outChannels()];
            calls.put("conv forward " + s, () -> Convolution.forward(s, x, 0, w, 0, bias, 0, true, y, 0));
            calls.put("conv input gradient " + s, () -> Convolution.inputGradient(s, y, 0, w, 0, dx, 0));
            calls.put("conv weight gradient " + s, () -> Convolution.weightGradient(s, x, 0, y, 0, dw, 0));
            if (ShiftedGram.applies(s)) {
                float[] factor = new float[ShiftedGram.rows(s, true) * ShiftedGram.rows(s, true)];
                calls.put("patch gram " + s, () -> ShiftedGram.gram(s, true, x, 0, factor, 0));
            }
        }
        ConvShape p = new ConvShape(2, 3, 9, 37, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3);
        float[] x = KernelTestSupport.random(rnd, p.batch() * p.imageSize(), -1f, 1f), dx = new float[x.length];
        float[] y = new float[p.batch() * p.outImageSize()];
        calls.put("max pool", () -> Pooling.maxPool(p, x, 0, y, 0));
        calls.put("avg pool", () -> Pooling.avgPool(p, x, 0, y, 0));
        calls.put("max pool scatter", () -> Pooling.maxPoolScatter(p, x, 0, y, 0, dx, 0));
        calls.put("max pool gather", () -> Pooling.maxPoolGather(p, x, 0, dx, 0, y, 0));
        calls.put("avg pool adjoint", () -> Pooling.avgPoolAdjoint(p, y, 0, dx, 0));
        return calls;
    }

    private static Map<String, Runnable> vectorKernels() {
        Random rnd = new Random(7);
        // 5 x 37: a vector body and a scalar tail on 8- and 16-lane machines.
        int rows = 5, cols = 37, n = rows * cols;
        float[] x = KernelTestSupport.random(rnd, n, -3f, 3f);
        float[] y = KernelTestSupport.random(rnd, n, 0.5f, 3f);
        float[] out = new float[n];
        float[] row = KernelTestSupport.random(rnd, cols, 0.5f, 2f);
        float[] col = KernelTestSupport.random(rnd, rows, 0.5f, 2f);
        float[] labels = new float[rows], columnLabels = new float[cols], mask = new float[n];
        for (int i = 0; i < rows; i++) labels[i] = rnd.nextInt(cols);
        for (int j = 0; j < cols; j++) columnLabels[j] = j % 5 == 0 ? -100 : rnd.nextInt(rows);
        for (int i = 0; i < n; i++) mask[i] = i % cols <= i / cols ? 1f : 0f; // causal
        float[] p = KernelTestSupport.random(rnd, n, -1f, 1f), g = KernelTestSupport.random(rnd, n, -1f, 1f);
        float[] m1 = new float[n], m2 = new float[n];
        float[] sink = new float[1];

        // A rank-4 activation [2, 3, 5, 7] and a per-channel [3, 1, 1] operand.
        int[] dims4 = {2, 3, 5, 7};
        float[] x4 = KernelTestSupport.random(rnd, 210, -3f, 3f), out4 = new float[210], channel = KernelTestSupport.random(rnd, 3, 0.5f, 2f);
        int[] dense = {cols, 1}, dense4 = Strided.dense(dims4);
        Map<String, Strided> layouts = new LinkedHashMap<>();
        layouts.put("dense", Strided.elementwise(new int[] {rows, cols}, dense, dense));
        layouts.put("row broadcast", Strided.elementwise(new int[] {rows, cols}, dense, new int[] {0, 1}));
        layouts.put("row broadcast first", Strided.elementwise(new int[] {rows, cols}, new int[] {0, 1}, dense));
        layouts.put("column broadcast", Strided.elementwise(new int[] {rows, cols}, dense, new int[] {1, 0}));
        layouts.put("scalar", Strided.elementwise(new int[] {rows, cols}, dense, new int[] {0, 0}));
        layouts.put("strided", Strided.elementwise(new int[] {rows, cols / 2}, new int[] {cols, 2}, new int[] {cols, 2}));

        Map<String, Runnable> calls = new LinkedHashMap<>();
        for (BinaryOp op : BinaryOp.values()) {
            layouts.forEach((name, s) -> calls.put("binary " + op + " " + name, () -> Elementwise.binary(op, s, x, 0, y, 0, out, 0)));
            Strided bias4 = Strided.elementwise(dims4, dense4, new int[] {0, 1, 0, 0});
            calls.put("binary " + op + " rank 4 channel", () -> Elementwise.binary(op, bias4, x4, 0, channel, 0, out4, 0));
        }
        Strided rowSelect = Strided.elementwise(new int[] {rows, cols}, dense, dense, new int[] {0, 1});
        calls.put("select row", () -> Elementwise.select(rowSelect, y, 0, x, 0, row, 0, out, 0));
        Strided causal = Strided.elementwise(new int[] {rows, cols}, dense, dense, new int[] {0, 0});
        calls.put("select causal", () -> Elementwise.select(causal, mask, 0, x, 0, row, 0, out, 0));
        Strided expand = Strided.elementwise(dims4, new int[] {0, 1, 0, 0});
        calls.put("broadcast channel", () -> Elementwise.broadcast(expand, channel, 0, out4, 0));
        Strided expandRow = Strided.elementwise(new int[] {rows, cols}, new int[] {0, 1});
        calls.put("broadcast row", () -> Elementwise.broadcast(expandRow, row, 0, out, 0));
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            calls.put("unary " + op, () -> Elementwise.unary(op, n, positive ? y : x, 0, out, 0));
        }
        for (float e : new float[] {2f, -1f, 0.5f, -0.5f, 2.5f}) {
            calls.put("pow " + e, () -> Elementwise.pow(n, e, y, 0, out, 0));
        }
        calls.put("scale", () -> Elementwise.scale(n, 0.5f, x, 0, out, 0));
        // Attention at 4 entries runs on the calling thread; at 64 (vit-tiny's sizes) its entries are cut over the pool.
        for (int entries : new int[] {4, 64}) attentionCalls(calls, rnd, new AttentionDims(entries, 17, 17, 16, 16, 0.25f, true), true);
        calls.put("layerNorm", () -> LayerNorm.normalize(rows, cols, 1e-5f, x, 0, out, 0));
        calls.put("fill", () -> Elementwise.fill(n, 0.25f, out, 0));
        calls.put("step", () -> Elementwise.step(n, 0.5f, x, 0, out, 0));
        calls.put("reluBackward", () -> Elementwise.reluBackward(n, y, 0, x, 0, out, 0));
        Axis byRow = new Axis(rows, cols, 1), byColumn = new Axis(1, rows, cols);
        for (Axis ax : new Axis[] {byRow, byColumn}) {
            String at = ax.inner() == 1 ? " rows" : " columns";
            float[] lab = ax.inner() == 1 ? labels : columnLabels;
            calls.put("softmax" + at, () -> Softmax.softmax(ax, x, 0, out, 0));
            calls.put("logSoftmax" + at, () -> Softmax.logSoftmax(ax, x, 0, out, 0));
            calls.put("crossEntropyMean" + at, () -> sink[0] = Softmax.crossEntropyMean(ax, -100, x, 0, lab, 0));
            calls.put("crossEntropyGrad" + at, () -> Softmax.crossEntropyGrad(ax, -100, x, 0, lab, 0, out, 0));
        }
        // MNIST's output rows, shorter than a 16-lane vector: the staged exp tail and the masked tails (JDK 18+).
        Axis classes10 = new Axis(12, 10, 1);
        float[] logits10 = KernelTestSupport.random(rnd, 120, -4f, 4f), labels10 = new float[12], grad10 = new float[120];
        for (int i = 0; i < 12; i++) labels10[i] = rnd.nextInt(10);
        calls.put("softmax 10 classes", () -> Softmax.softmax(classes10, logits10, 0, grad10, 0));
        calls.put("logSoftmax 10 classes", () -> Softmax.logSoftmax(classes10, logits10, 0, grad10, 0));
        calls.put("crossEntropyMean 10 classes", () -> sink[0] = Softmax.crossEntropyMean(classes10, -100, logits10, 0, labels10, 0));
        calls.put("crossEntropyGrad 10 classes", () -> Softmax.crossEntropyGrad(classes10, -100, logits10, 0, labels10, 0, grad10, 0));
        calls.put("countedWeights", () -> Softmax.countedWeights(cols, -100, columnLabels, 0, out, 0));
        for (int axes : new int[] {0b01, 0b10, 0b11}) {
            Strided s = Strided.reduction(new int[] {rows, cols}, axes);
            calls.put("sum axes " + axes, () -> Reductions.sum(s, x, 0, out, 0));
            calls.put("max axes " + axes, () -> Reductions.max(s, x, 0, out, 0));
        }
        Strided perChannel = Strided.reduction(dims4, 0b1101);
        calls.put("sum per channel", () -> Reductions.sum(perChannel, x4, 0, out4, 0));
        calls.put("max per channel", () -> Reductions.max(perChannel, x4, 0, out4, 0));
        float[] moments = new float[6];
        calls.put("batch moments", () -> Normalization.moments(2, 3, 35, x4, 0, moments, 0));
        calls.put("channel affine", () -> Normalization.affine(2, 3, 35, x4, 0, channel, 0, channel, 0, out4, 0));
        calls.put("channel dots", () -> Normalization.channelDots(2, 3, 35, x4, 0, out4, 0, moments, 0));
        calls.put("channel affine pair", () -> Normalization.affinePair(2, 3, 35, x4, 0, channel, 0, channel, 0, x4, 0, channel, 0, channel, 0, out4, 0));
        calls.put("channel affine relu", () -> Normalization.affineRelu(2, 3, 35, x4, 0, channel, 0, channel, 0, out4, 0));
        calls.put("channel affine add relu", () -> Normalization.affineAddRelu(2, 3, 35, x4, 0, channel, 0, channel, 0, x4, 0, out4, 0));
        calls.put("channel affine pair relu", () -> Normalization.affinePairRelu(2, 3, 35, x4, 0, channel, 0, channel, 0, x4, 0,
                channel, 0, channel, 0, out4, 0));
        calls.put("masked channel dots", () -> Normalization.maskedChannelDots(2, 3, 35, x4, 0, out4, 0, channel, 0, channel, 0, moments, 0));
        calls.put("masked channel affine pair", () -> Normalization.maskedAffinePair(2, 3, 35, x4, 0, channel, 0, channel, 0,
                x4, 0, channel, 0, channel, 0, channel, 0, channel, 0, out4, 0));
        calls.put("dropout", () -> DropoutMask.apply(n, 12345L, 7, DropoutMask.threshold(0.3), 1 / 0.7f, x, 0, out, 0));
        calls.put("sum", () -> sink[0] = Reductions.sum(n, x, 0));
        calls.put("dot", () -> sink[0] = Reductions.dot(n, x, 0, y, 0));
        calls.put("axpy", () -> Elementwise.axpy(n, 1e-6f, x, 0, out, 0));
        // Tiny steps keep the parameters bounded over thousands of calls.
        calls.put("sgd", () -> sink[0] = Updates.sgd(n, 1e-6f, 0.01f, p, 0, g, 0));
        calls.put("momentum", () -> sink[0] = Updates.momentum(n, 1e-6f, 0.9f, false, 0.01f, p, 0, g, 0, m1, 0));
        calls.put("nesterov", () -> sink[0] = Updates.momentum(n, 1e-6f, 0.9f, true, 0.01f, p, 0, g, 0, m1, 0));
        calls.put("norm", () -> sink[0] = Updates.norm(sink[0], n, g, 0));
        float[] schedule = {1e-6f, 0.5f, 0.1f};
        AdamHyperparameters adam = new AdamHyperparameters(0.9f, 0.999f, 1e-8f, 0.01f, false, schedule);
        AdamHyperparameters adamW = new AdamHyperparameters(0.9f, 0.999f, 1e-8f, 0.01f, true, schedule);
        calls.put("adam", () -> sink[0] = Updates.adam(n, adam, p, 0, g, 0, m1, 0, m2, 0));
        calls.put("adamw", () -> sink[0] = Updates.adam(n, adamW, p, 0, g, 0, m1, 0, m2, 0));
        return calls;
    }

    /** Every transpose, plain and with the full epilogue, at a size split over threads and at narrow sizes. */
    private static Map<String, Runnable> gemmCalls() {
        Random rnd = new Random(8);
        // 130 x 132 x 128 passes the parallel threshold and has edge tiles in both directions; 150 x 48 x 520
        // has two blocks of rows and of k, so two threads claim row chunks over a shared B.
        // 40 x 100 x 10 writes its whole tiles from the kernel's registers (plain and masked calls).
        int[][] shapes = {{130, 132, 128}, {150, 48, 520}, {37, 10, 29}, {23, 41, 10}, {40, 100, 10}};
        Map<String, Runnable> calls = new LinkedHashMap<>();
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = KernelTestSupport.random(rnd, m * k, -1f, 1f);
            float[] b = KernelTestSupport.random(rnd, k * n, -1f, 1f);
            float[] c = new float[m * n];
            float[] bias = KernelTestSupport.random(rnd, n, -1f, 1f);
            float[] mask = KernelTestSupport.random(rnd, m * n, -1f, 1f);
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    GemmOperand ao = new GemmOperand(a, 0, ta ? m : k, ta), bo = new GemmOperand(b, 0, tb ? k : n, tb);
                    GemmOperand co = GemmOperand.of(c, 0, n);
                    GemmEpilogue biasRelu = new GemmEpilogue(bias, 0, true, null, 0);
                    String name = m + "x" + n + "x" + k + " " + (ta ? "T" : "N") + (tb ? "T" : "N");
                    calls.put(name, () -> Gemm.gemm(m, n, k, 1f, ao, bo, 0f, co));
                    // beta = 0.5 keeps C bounded over repeated calls.
                    calls.put(name + " beta+bias+relu", () -> Gemm.gemm(m, n, k, 0.01f, ao, bo, 0.5f, co, biasRelu));
                    // ReLU's backward mask on a short-k product (an output layer's dY W^T into its hidden layer).
                    if (k < GemmJob.SHORT_K) {
                        GemmEpilogue masked = new GemmEpilogue(null, 0, false, mask, 0);
                        calls.put(name + " mask", () -> Gemm.gemm(m, n, k, 1f, ao, bo, 0f, co, masked));
                    }
                }
            }
        }
        // The Gram products of K-FAC's factors (packed SYRK, its lower triangle mirrored by register transposes):
        // a width with a last block of one row, and X X^T.
        for (int[] g : new int[][] {{161, 40}, {144, 37}}) {
            int n = g[0], k = g[1];
            float[] x = KernelTestSupport.random(rnd, n * k, -1f, 1f), c = new float[n * n];
            calls.put("gram " + n + " of X^T X, k " + k, () -> SymmetricGemm.gram(true, n, k, 0.5f, x, 0, n, c, 0));
            calls.put("gram " + n + " of X X^T, k " + k, () -> SymmetricGemm.gram(false, n, k, 0.5f, x, 0, k, c, 0));
        }
        return calls;
    }

    private static void assertAllocateNothing(Map<String, Runnable> calls, int threads, int warmupRounds) {
        for (int round = 0; round < warmupRounds; round++) {
            for (Runnable call : calls.values()) call.run();
        }
        workerThreadIds(threads - 1); // the pool really has its workers, whose allocations count too
        // On a loaded machine C2's queue lags behind the warm-up: SteadyState measures until the JIT has
        // settled. A kernel that boxes vectors allocates on every call, however long it runs.
        List<String> allocating = new ArrayList<>();
        long deadline = System.nanoTime() + BUDGET_NANOS;
        for (Map.Entry<String, Runnable> e : calls.entrySet()) {
            long bytes = SteadyState.allocatedBytes(e.getValue(), MEASURED_CALLS, deadline);
            if (bytes > 0) allocating.add(e.getKey() + ": " + bytes / MEASURED_CALLS + " bytes per call");
        }
        assertTrue(allocating.isEmpty(), "kernels that allocate in the steady state: " + allocating);
    }

    private static long[] workerThreadIds(int count) {
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("panagrad-worker-"))
                .mapToLong(Thread::getId).toArray();
        assertTrue(ids.length >= count, "expected " + count + " GEMM worker threads, found " + ids.length);
        return ids;
    }
}

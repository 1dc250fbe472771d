package org.panagrad.kernels;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The convolution and pooling kernels: patch building and pooling with the SIMD bodies against their scalar
 * twins (bit for bit: both do the same operations in the same order), over widths around every vector length,
 * strides, padding, dilation and groups; the three convolution passes against a tap-by-tap loop; and the same
 * bits on one thread and on two.
 */
class ConvolutionTest {
    private static final int[] WIDTHS = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 65};

    @AfterEach
    void restoreThreads() {
        Gemm.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /** Convolutions of awkward geometries: {channels, height, width, out, kh, kw, sh, sw, ph, pw, dh, dw, groups}. */
    private static List<ConvShape> shapes(int batch) {
        List<ConvShape> shapes = new ArrayList<>();
        int[][] geometries = {
                {3, 5, 0, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                {2, 4, 0, 3, 5, 5, 1, 1, 2, 2, 1, 1, 1},
                {4, 7, 0, 6, 3, 2, 2, 2, 1, 0, 1, 1, 2},
                {3, 6, 0, 3, 3, 3, 1, 2, 1, 1, 2, 1, 3},
                {3, 3, 0, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1},
                {2, 5, 0, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1},
                {1, 3, 0, 2, 2, 4, 3, 1, 0, 2, 1, 2, 1},
                {2, 5, 0, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2},
                {3, 7, 0, 3, 5, 3, 2, 2, 2, 1, 1, 1, 3},
                {2, 6, 0, 3, 3, 2, 1, 1, 0, 1, 2, 2, 1},
                {2, 4, 0, 3, 1, 3, 1, 1, 1, 2, 1, 1, 1},
                // Enough channels that the weight gradient runs per tap from the padded copy (ImplicitPatches)
                // at stride 1, and the other passes at many channels.
                {16, 4, 0, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                {12, 5, 0, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1},
                {13, 5, 0, 17, 1, 1, 2, 2, 0, 0, 1, 1, 1},
                {24, 6, 0, 32, 3, 2, 1, 1, 0, 1, 2, 1, 2},
                // More output channels than VectorColumnsProduct takes: the weight gradient per tap on the GEMM.
                {12, 4, 0, 72, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                // lenet5's kinds: one input channel into 6 (5 x 5, padded), 6 into 16.
                {1, 6, 0, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1},
                {6, 6, 0, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1},
                // Padded, with input channels in whole blocks of eight: the weight gradient on VectorColumnsProduct
                // reads the image in place tap by tap (resnet8's stride-2 kind; 64 output channels in six-row
                // blocks; groups of eight channels with unequal strides, paddings and dilations; padding wider
                // than the kernel reaches, so that edge taps read fewer rows).
                {16, 7, 0, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1},
                {48, 5, 0, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                {16, 6, 0, 16, 3, 3, 1, 2, 2, 1, 2, 1, 2},
                {8, 3, 0, 8, 3, 3, 1, 1, 3, 2, 1, 1, 1}};
        for (int[] g : geometries) {
            for (int w : WIDTHS) {
                int width = Math.max(w, g[11] * (g[5] - 1) + 1 - 2 * g[9]);
                shapes.add(new ConvShape(batch, g[0], g[1], width, g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12]));
            }
        }
        return shapes;
    }

    @Test
    void patchesFromTheSimdBodyAreThoseOfTheScalarTwin() {
        Random rnd = new Random(1);
        for (ConvShape s : shapes(1)) {
            float[] x = KernelTestSupport.random(rnd, s.imageSize() + 3, -1f, 1f);
            int r0 = s.outHeight() / 3, r1 = s.outHeight(), size = s.patchRows() * (r1 - r0) * s.outWidth();
            for (int g = 0; g < s.groups(); g++) {
                float[] simd = new float[size], scalar = new float[size];
                java.util.Arrays.fill(simd, Float.NaN);
                Patches.im2col(s, x, 3, g, r0, r1, simd, true);
                Patches.im2col(s, x, 3, g, r0, r1, scalar, false);
                assertArrayEquals(scalar, simd, "im2col " + s + " group " + g);
                float[] cols = KernelTestSupport.random(rnd, size, -1f, 1f);
                float[] dxSimd = KernelTestSupport.random(new Random(g), s.imageSize() + 2, -1f, 1f), dxScalar = dxSimd.clone();
                Patches.col2im(s, cols, g, r0, r1, dxSimd, 2, true);
                Patches.col2im(s, cols, g, r0, r1, dxScalar, 2, false);
                assertArrayEquals(dxScalar, dxSimd, "col2im " + s + " group " + g);
            }
        }
    }

    /**
     * Convolutions read their patches from a padded copy of the image split into stride phases (ImplicitPatches):
     * the forward pass (bias and ReLU in the copy out), the input gradient (phase by phase of the input) and the
     * weight gradient (per tap, or on VectorColumnsProduct) with the SIMD bodies against the scalar twins, strided
     * geometries included; with few channels the products themselves run on FewRowsProduct's and
     * VectorColumnsProduct's two bodies.
     */
    @Test
    void implicitPatchesFromTheSimdBodyAreThoseOfTheScalarTwin() {
        Random rnd = new Random(6);
        int covered = 0, strided = 0, weights = 0, byVectors = 0, stridedByVectors = 0, byTaps = 0, perTap = 0, fewRows = 0;
        for (ConvShape s : shapes(2)) {
            if (!ImplicitPatches.forward(s)) continue;
            assertTrue(ImplicitPatches.inputGradient(s), s.toString());
            covered++;
            if (s.strideH() > 1 || s.strideW() > 1) strided++;
            int xs = s.batch() * s.imageSize(), ys = s.batch() * s.outImageSize();
            float[] x = KernelTestSupport.random(rnd, xs, -1f, 1f), g = KernelTestSupport.random(rnd, ys, -1f, 1f);
            float[] w = KernelTestSupport.random(rnd, s.outChannels() * s.patchRows(), -1f, 1f);
            float[] bias = KernelTestSupport.random(rnd, s.outChannels(), -1f, 1f);
            float[][] y = new float[2][ys], dx = new float[2][xs], dw = new float[2][s.outChannels() * s.patchRows() + 1];
            boolean weightsHere = ImplicitPatches.weightGradient(s) || ImplicitPatches.weightGradientByVectors(s);
            if (weightsHere) weights++;
            if (ImplicitPatches.weightGradientByVectors(s)) {
                byVectors++;
                if (s.strideH() > 1 || s.strideW() > 1) stridedByVectors++;
                if (ImplicitPatches.byTaps(s) && !TapDots.applies(s)) byTaps++;
            } else if (ImplicitPatches.weightGradient(s)) {
                perTap++;
            }
            if (FewRowsProduct.applies(s.groupOutChannels()) && FewRowsProduct.applies(s.groupChannels())) fewRows++;
            for (int v = 0; v < 2; v++) {
                float[] cols = new float[Convolution.patchBufferSize(s)];
                java.util.Arrays.fill(cols, Float.NaN);
                int[] rows = new int[ImplicitPatches.rowTableSize(s)];
                Convolution.forwardImages(s, 0, s.batch(), x, 0, w, 0, null, bias, 0, true, y[v], 0, cols, rows, v == 0);
                Convolution.inputGradientImages(s, 0, s.batch(), g, 0, w, 0, null, dx[v], 0, cols, rows, v == 0);
                if (!weightsHere) continue;
                // A buffer the other passes left dirty, and a partial sum to add to (accumulate).
                java.util.Arrays.fill(dw[v], 0.5f);
                Convolution.weightGradientImages(s, 0, s.batch(), x, 0, g, 0, dw[v], 1, true, cols, rows, v == 0);
            }
            assertArrayEquals(y[1], y[0], "forward " + s);
            // ShiftedTaps sums tap by tap, the scalar twin over all taps at once: the same within rounding.
            if (ShiftedTaps.applies(s)) KernelTestSupport.assertClose(dx[1], dx[0], 1e-5f, 1e-5f, "input gradient (ShiftedTaps) " + s);
            else assertArrayEquals(dx[1], dx[0], "input gradient " + s);
            // TapDots sums along the lanes, the scalar twin in order: the same within rounding.
            if (TapDots.applies(s)) KernelTestSupport.assertClose(dw[1], dw[0], 1e-5f, 1e-5f, "weight gradient (TapDots) " + s);
            else assertArrayEquals(dw[1], dw[0], "weight gradient " + s);
        }
        assertTrue(covered >= 7 * WIDTHS.length && strided >= 3 * WIDTHS.length, "geometries run here: " + covered + ", strided " + strided);
        assertTrue(weights >= 2 * WIDTHS.length, "weight gradients run here: " + weights);
        assertTrue(byVectors >= 4 * WIDTHS.length && fewRows >= 7 * WIDTHS.length, "on VectorColumnsProduct: " + byVectors + ", FewRowsProduct: " + fewRows);
        assertTrue(stridedByVectors >= 2 * WIDTHS.length && perTap >= WIDTHS.length,
                "strided on VectorColumnsProduct: " + stridedByVectors + ", per tap: " + perTap);
        assertTrue(byTaps >= 3 * WIDTHS.length, "on VectorColumnsProduct in place, tap by tap: " + byTaps);
    }

    @Test
    void depthwiseFromTheSimdBodyIsThatOfTheScalarTwin() {
        Random rnd = new Random(6);
        for (ConvShape s : shapes(2)) {
            if (!s.depthwise()) continue;
            int xs = s.batch() * s.imageSize(), ys = s.batch() * s.outImageSize(), ws = s.outChannels() * s.patchRows();
            float[] x = KernelTestSupport.random(rnd, xs, -1f, 1f), w = KernelTestSupport.random(rnd, ws, -1f, 1f);
            float[] g = KernelTestSupport.random(rnd, ys, -1f, 1f), bias = KernelTestSupport.random(rnd, s.outChannels(), -1f, 1f);
            float[][] simd = {new float[ys], new float[xs], new float[ws]}, scalar = {new float[ys], new float[xs], new float[ws]};
            for (boolean vector : new boolean[] {true, false}) {
                float[][] out = vector ? simd : scalar;
                Depthwise.forward(s, 0, s.batch(), x, 0, w, 0, bias, 0, true, out[0], 0, vector);
                Depthwise.inputGradient(s, 0, s.batch(), g, 0, w, 0, out[1], 0, vector);
                Depthwise.weightGradient(s, 0, s.batch(), x, 0, g, 0, out[2], 0, false, vector);
            }
            assertArrayEquals(scalar[0], simd[0], "forward " + s);
            assertArrayEquals(scalar[1], simd[1], "input gradient " + s);
            KernelTestSupport.assertClose(scalar[2], simd[2], 1e-5f, 1e-5f, "weight gradient " + s);
        }
    }

    @Test
    void poolingFromTheSimdBodyIsThatOfTheScalarTwin() {
        Random rnd = new Random(2);
        int[][] windows = {{2, 2, 2, 2, 0, 0}, {3, 3, 2, 2, 1, 1}, {3, 2, 1, 2, 1, 0}, {1, 1, 1, 1, 0, 0}, {5, 3, 3, 1, 2, 1}};
        for (int[] k : windows) {
            for (int w : WIDTHS) {
                int width = Math.max(w, k[1]), height = k[0] + 4;
                ConvShape s = new ConvShape(2, 3, height, width, 3, k[0], k[1], k[2], k[3], k[4], k[5], 1, 1, 3);
                int in = s.batch() * s.imageSize(), out = s.batch() * s.outImageSize();
                float[] x = KernelTestSupport.random(rnd, in, -1f, 1f);
                for (boolean max : new boolean[] {true, false}) {
                    float[] simd = new float[out], scalar = new float[out];
                    Pooling.reduce(s, x, 0, simd, 0, max, true);
                    Pooling.reduce(s, x, 0, scalar, 0, max, false);
                    assertArrayEquals(scalar, simd, (max ? "max " : "avg ") + s);
                    assertArrayEquals(naivePool(s, x, max), scalar, 1e-6f, (max ? "max " : "avg ") + s + " against the loop");
                }
                float[] g = KernelTestSupport.random(rnd, out, -1f, 1f), simd = new float[in], scalar = new float[in];
                Pooling.avgPoolAdjoint(s, g, 0, simd, 0, true);
                Pooling.avgPoolAdjoint(s, g, 0, scalar, 0, false);
                assertArrayEquals(scalar, simd, "avg adjoint " + s);
            }
        }
    }

    /**
     * The 2 x 2, stride-2 max pool, its VJP and the VJP's adjoint (PairPooling's SIMD bodies) against the scalar bodies,
     * bit for bit (the gather's c with a signed zero and NaN payloads, NaN compared as NaN):
     * odd and even sizes around every vector width, batches whose runs span planes, and values drawn from a few
     * levels with signed zeros, infinities and NaNs, so windows tie and the first-maximum rule decides.
     */
    @Test
    void pairPoolingFromTheSimdBodyIsThatOfTheScalarTwin() {
        Random rnd = new Random(5);
        float[] levels = {-1f, -0f, 0f, 0.5f, 1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
        for (int batch : new int[] {1, 3}) {
            for (int height : new int[] {2, 3, 5, 10, 28}) {
                for (int w : WIDTHS) {
                    int width = Math.max(w, 2);
                    ConvShape s = new ConvShape(batch, 2, height, width, 2, 2, 2, 2, 2, 0, 0, 1, 1, 2);
                    int in = s.batch() * s.imageSize(), out = s.batch() * s.outImageSize();
                    for (boolean tied : new boolean[] {false, true}) {
                        float[] x = new float[in + 1];
                        for (int i = 0; i < x.length; i++) {
                            x[i] = tied ? levels[rnd.nextInt(rnd.nextInt(4) == 0 ? levels.length : 5)] : rnd.nextFloat() * 2 - 1;
                        }
                        float[] simd = new float[out + 1], scalar = new float[out + 1];
                        Pooling.reduce(s, x, 1, simd, 1, true, true);
                        Pooling.reduce(s, x, 1, scalar, 1, true, false);
                        assertArrayEquals(scalar, simd, "max " + s + (tied ? " tied" : ""));
                        float[] g = KernelTestSupport.random(rnd, out + 2, -1f, 1f);
                        g[2] = -0f;
                        if (out > 3) g[5] = -0f;
                        float[] dxSimd = new float[in + 2], dxScalar = new float[in + 2];
                        java.util.Arrays.fill(dxSimd, 7f);
                        java.util.Arrays.fill(dxScalar, 7f);
                        Pooling.maxPoolScatter(s, x, 1, g, 2, dxSimd, 1, true);
                        Pooling.maxPoolScatter(s, x, 1, g, 2, dxScalar, 1, false);
                        assertArrayEquals(dxScalar, dxSimd, "scatter " + s + (tied ? " tied" : ""));
                        float[] c = KernelTestSupport.random(rnd, in + 3, -1f, 1f);
                        c[3] = -0f;
                        c[4] = Float.NaN;
                        c[in + 2] = Float.intBitsToFloat(0x7fc01234);
                        float[] ySimd = new float[out + 2], yScalar = new float[out + 2];
                        java.util.Arrays.fill(ySimd, 7f);
                        java.util.Arrays.fill(yScalar, 7f);
                        Pooling.maxPoolGather(s, x, 1, c, 3, ySimd, 1, true);
                        Pooling.maxPoolGather(s, x, 1, c, 3, yScalar, 1, false);
                        // As values (every NaN one): the Vector API's Java fallback, which runs until C2 has compiled
                        // the gather, turns NaN payloads canonical in rearrange (lane() reads floatToIntBits), so the
                        // SIMD body keeps c's bits in C2 code only (under -Xint 17 of these cases differ in payload).
                        assertArrayEquals(yScalar, ySimd, "gather " + s + (tied ? " tied" : ""));
                    }
                }
            }
        }
    }

    private static float[] naivePool(ConvShape s, float[] x, boolean max) {
        int oh = s.outHeight(), ow = s.outWidth(), h = s.height(), w = s.width();
        float[] y = new float[s.batch() * s.outImageSize()];
        for (int p = 0; p < s.batch() * s.channels(); p++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    double v = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int i = 0; i < s.kh(); i++) {
                        for (int j = 0; j < s.kw(); j++) {
                            int ih = r * s.strideH() + i - s.padH(), iw = q * s.strideW() + j - s.padW();
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            double e = x[(p * h + ih) * w + iw];
                            v = max ? Math.max(v, e) : v + e;
                        }
                    }
                    y[(p * oh + r) * ow + q] = (float) (max ? v : v / (s.kh() * s.kw()));
                }
            }
        }
        return y;
    }

    @Test
    void theThreePassesMatchATapByTapLoop() {
        Random rnd = new Random(3);
        for (ConvShape s : shapes(2)) check(s, rnd, true);
        // 32 and more output channels per group and long patches: the forward pass computes its blocks transposed.
        for (ConvShape s : new ConvShape[] {new ConvShape(2, 16, 5, 6, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new ConvShape(1, 32, 5, 4, 64, 3, 3, 2, 1, 1, 0, 1, 1, 2)}) {
            assertTrue(Convolution.forwardTransposed(s), s.toString());
            check(s, rnd, true);
        }
    }

    /**
     * ChannelLanesConvolution (output channels in the lanes), called directly so that it runs at both vector widths:
     * its SIMD body gives the scalar twin's bits, both near a float64 sum with the bias and ReLU, at awkward
     * geometries (positions not in whole blocks, 128 channels, two groups, padding wider than the kernel reaches,
     * an odd channel count, a 5 x 5 kernel), images past the first (11: a product of eight images, then one of
     * three) and a buffer the call finds dirty.
     */
    @Test
    void channelLanesForwardIsTheScalarTwinsBitsNearFloat64() {
        Random rnd = new Random(8);
        ConvShape[] shapes = {new ConvShape(11, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new ConvShape(2, 24, 5, 6, 128, 3, 2, 1, 1, 0, 1, 1, 1, 1),
                new ConvShape(1, 16, 4, 9, 128, 3, 3, 1, 1, 2, 1, 1, 1, 2),
                new ConvShape(3, 5, 6, 5, 64, 5, 5, 1, 1, 2, 2, 1, 1, 1),
                new ConvShape(2, 8, 1, 17, 64, 1, 3, 1, 1, 0, 1, 1, 1, 1)};
        // A plane larger than MAX_POSITIONS (unmeasured here) stays on the phase planes.
        assertFalse(ChannelLanesConvolution.applies(new ConvShape(1, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        for (ConvShape s : shapes) {
            assertTrue(s.kh() * s.kw() > 1 && s.strideH() == 1 && s.strideW() == 1, s.toString());
            if (VectorColumnsProduct.inFourVectorBlocks(s.groupOutChannels())) assertTrue(ChannelLanesConvolution.applies(s), s.toString());
            int xs = s.batch() * s.imageSize(), ys = s.batch() * s.outImageSize();
            float[] x = KernelTestSupport.random(rnd, xs + 1, -1f, 1f), w = KernelTestSupport.random(rnd, s.outChannels() * s.patchRows() + 2, -1f, 1f);
            float[] bias = KernelTestSupport.random(rnd, s.outChannels() + 3, -1f, 1f);
            for (int variant = 0; variant < 4; variant++) {
                boolean relu = (variant & 1) != 0;
                float[] b = (variant & 2) != 0 ? bias : null;
                float[][] y = new float[2][ys + 2];
                for (int v = 0; v < 2; v++) {
                    float[] cols = new float[Convolution.patchBufferSize(s) + ChannelLanesConvolution.scratchFloats(s)];
                    java.util.Arrays.fill(cols, Float.NaN);
                    int[] rows = new int[ChannelLanesConvolution.productRows(s)];
                    ChannelLanesConvolution.forward(s, 0, s.batch(), x, 1, w, 2, null, 0, b, 3, relu, y[v], 2, cols, rows, v == 0);
                }
                assertArrayEquals(y[1], y[0], "SIMD against the scalar twin " + s + (b != null ? " biased" : "") + (relu ? ", ReLU" : ""));
                if (Simd.ENABLED && ChannelLanesConvolution.applies(s)) {
                    // Through the public call, whose job arranges the weight once for all its parts.
                    float[] job = new float[ys + 2];
                    Convolution.forward(s, x, 1, w, 2, b, 3, relu, job, 2);
                    assertArrayEquals(y[0], job, "Convolution.forward " + s);
                }
                float[] exact = forward64(s, x, 1, w, 2, b, 3, relu);
                for (int i = 0; i < ys; i++) {
                    assertEquals(exact[i], y[0][2 + i], 1e-5f * (1 + Math.abs(exact[i])) * Math.sqrt(s.patchRows()), "element " + i + " of " + s);
                }
            }
        }
    }

    /**
     * ChannelLanesConvolution's input gradient (the flipped weight over the padded dY, input channels in the lanes),
     * called directly so that it runs at both vector widths: its SIMD body gives the scalar twin's bits, both near a
     * float64 sum, at awkward geometries (inputs not in whole blocks, 128 channels, two groups, padding of kh - 1 and
     * of 0, odd output channel counts, a 5 x 5 and a 3 x 2 kernel, a 1-row image), images past the first (11: a
     * product of eight images, then one of three) and a buffer the call finds dirty.
     */
    @Test
    void channelLanesInputGradientIsTheScalarTwinsBitsNearFloat64() {
        Random rnd = new Random(12);
        ConvShape[] shapes = {new ConvShape(11, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new ConvShape(2, 128, 5, 6, 24, 3, 2, 1, 1, 0, 1, 1, 1, 1),
                new ConvShape(1, 128, 4, 9, 16, 3, 3, 1, 1, 2, 1, 1, 1, 2),
                new ConvShape(3, 64, 6, 5, 5, 5, 5, 1, 1, 2, 2, 1, 1, 1),
                new ConvShape(2, 64, 3, 3, 8, 3, 3, 1, 1, 2, 2, 1, 1, 1),
                new ConvShape(2, 64, 1, 17, 8, 1, 3, 1, 1, 0, 1, 1, 1, 1)};
        // Larger planes, strides, and padding no tap of some input element reaches stay on the phase planes.
        assertFalse(ChannelLanesConvolution.inputGradientApplies(new ConvShape(1, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        assertFalse(ChannelLanesConvolution.inputGradientApplies(new ConvShape(1, 64, 7, 7, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1)));
        assertFalse(ChannelLanesConvolution.inputGradientApplies(new ConvShape(1, 64, 7, 7, 64, 3, 3, 1, 1, 3, 1, 1, 1, 1)));
        for (ConvShape s : shapes) {
            boolean taken = ChannelLanesConvolution.inputGradientApplies(s);
            if (VectorColumnsProduct.inFourVectorBlocks(s.groupChannels())) assertTrue(taken, s.toString());
            int xs = s.batch() * s.imageSize(), ys = s.batch() * s.outImageSize();
            float[] g = KernelTestSupport.random(rnd, ys + 1, -1f, 1f), w = KernelTestSupport.random(rnd, s.outChannels() * s.patchRows() + 2, -1f, 1f);
            float[][] dx = new float[2][xs + 2];
            for (int v = 0; v < 2; v++) {
                // Where the path is taken, exactly the buffers a job allocates for s (ConvJob), so that an undersized one
                // fails here; elsewhere (8 lanes) what the path says it needs.
                float[] cols = new float[taken ? Convolution.patchBufferSize(s) : ChannelLanesConvolution.inputGradientScratchFloats(s)];
                java.util.Arrays.fill(cols, Float.NaN);
                java.util.Arrays.fill(dx[v], Float.NaN);
                int[] rows = new int[taken ? ImplicitPatches.rowTableSize(s) : ChannelLanesConvolution.inputGradientRows(s)];
                ChannelLanesConvolution.inputGradient(s, 0, s.batch(), g, 1, w, 2, null, 0, dx[v], 2, cols, rows, v == 0);
            }
            assertArrayEquals(dx[1], dx[0], "SIMD against the scalar twin " + s);
            if (Simd.ENABLED && taken) {
                // Through the public call, whose job arranges the weight once for all its parts.
                float[] job = new float[xs + 2];
                java.util.Arrays.fill(job, Float.NaN);
                Convolution.inputGradient(s, g, 1, w, 2, job, 2);
                assertArrayEquals(dx[0], job, "Convolution.inputGradient " + s);
            }
            double[] exact = inputGradient64(s, g, 1, w, 2);
            for (int i = 0; i < xs; i++) {
                assertEquals(exact[i], dx[0][2 + i], 1e-5f * (1 + Math.abs(exact[i])) * Math.sqrt(s.outChannels() * s.kh() * s.kw()),
                        "element " + i + " of " + s);
            }
        }
    }

    /** The input gradient in float64 from the definition: dx [batch, C, H, W] for dy at g[gOff..]. */
    private static double[] inputGradient64(ConvShape s, float[] g, int gOff, float[] w, int wOff) {
        int oh = s.outHeight(), ow = s.outWidth(), og = s.groupOutChannels(), cg = s.groupChannels();
        double[] dx = new double[s.batch() * s.imageSize()];
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                int gr = o / og;
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double dy = g[gOff + ((n * s.outChannels() + o) * oh + r) * ow + q];
                        for (int c = 0; c < cg; c++) {
                            for (int i = 0; i < s.kh(); i++) {
                                for (int j = 0; j < s.kw(); j++) {
                                    int h = r * s.strideH() + i * s.dilationH() - s.padH(), e = q * s.strideW() + j * s.dilationW() - s.padW();
                                    if (h < 0 || h >= s.height() || e < 0 || e >= s.width()) continue;
                                    dx[((n * s.channels() + gr * cg + c) * s.height() + h) * s.width() + e] +=
                                            dy * w[wOff + ((o * cg + c) * s.kh() + i) * s.kw() + j];
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /** The forward pass in float64 from the definition, rounded to float: y [batch, O, outH, outW]. */
    private static float[] forward64(ConvShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, boolean relu) {
        int oh = s.outHeight(), ow = s.outWidth(), og = s.groupOutChannels(), cg = s.groupChannels();
        float[] y = new float[s.batch() * s.outImageSize()];
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                int g = o / og;
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double acc = bias == null ? 0 : bias[biasOff + o];
                        for (int c = 0; c < cg; c++) {
                            for (int i = 0; i < s.kh(); i++) {
                                for (int j = 0; j < s.kw(); j++) {
                                    int h = r * s.strideH() + i * s.dilationH() - s.padH(), e = q * s.strideW() + j * s.dilationW() - s.padW();
                                    if (h < 0 || h >= s.height() || e < 0 || e >= s.width()) continue;
                                    acc += (double) w[wOff + ((o * cg + c) * s.kh() + i) * s.kw() + j]
                                            * x[xOff + ((n * s.channels() + g * cg + c) * s.height() + h) * s.width() + e];
                                }
                            }
                        }
                        y[((n * s.outChannels() + o) * oh + r) * ow + q] = (float) (relu ? Math.max(acc, 0) : acc);
                    }
                }
            }
        }
        return y;
    }

    /** Large enough to split over images and claim weight chunks; the same bits on one thread and on two. */
    @Test
    void batchesSplitOverThreadsGiveTheSameBits() {
        // resnet8's layer3.conv2 with three images, far past the 2-thread threshold: at 16 lanes its forward pass and
        // input gradient run on ChannelLanesConvolution, at 8 on the phase planes.
        ConvShape lanes = new ConvShape(3, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertTrue((long) lanes.batch() * lanes.outImageSize() * lanes.patchRows() >= 2 * GemmJob.PARALLEL_MIN_MACS);
        assertEquals(VectorColumnsProduct.LANES >= 16, ChannelLanesConvolution.inputGradientApplies(lanes), Simd.describe());
        assertEquals(VectorColumnsProduct.LANES >= 16, ChannelLanesConvolution.applies(lanes), Simd.describe());
        // The others each just past the 2-thread threshold (2 x GemmJob.PARALLEL_MIN_MACS multiply-adds).
        ConvShape[] shapes = {new ConvShape(3, 16, 10, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new ConvShape(4, 64, 12, 11, 64, 1, 1, 2, 2, 0, 0, 1, 1, 1),
                new ConvShape(4, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
                new ConvShape(3, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 2),
                new ConvShape(27, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),
                new ConvShape(6, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
                lanes};
        for (ConvShape s : shapes) {
            Gemm.setThreads(1);
            float[][] one = check(s, new Random(5), false);
            Gemm.setThreads(2);
            float[][] two = check(s, new Random(5), false);
            for (int i = 0; i < one.length; i++) assertArrayEquals(one[i], two[i], "pass " + i + " of " + s);
        }
    }

    /**
     * TapDots takes lenet5's first convolution and the stride-1 shapes above with few output channels; on them it
     * agrees with a float64 sum (its sums are as close to it as the scalar twin's, which sums in order: over 780
     * products the twin was off by 3.2e-5 where TapDots was off by 5.8e-6, so the two may differ by more than
     * either is off), and an infinite or NaN input, which its padded lanes multiply by zeros of dY, leaves every
     * weight it does not reach as the exact path computes it.
     */
    @Test
    void tapDotsKeepNonFiniteInputsToTheWeightsTheyReach() {
        // At 8 lanes VectorColumnsProduct fills 6 of them, too many for TapDots to gain enough.
        boolean wide = VectorColumnsProduct.LANES >= 16;
        assertTrue(!wide || TapDots.applies(new ConvShape(128, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1)), "lenet5.0");
        assertTrue(!TapDots.applies(new ConvShape(128, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1)), "lenet5.3");
        Random rnd = new Random(8);
        int applied = 0, nonFinite = 0;
        for (ConvShape s : shapes(3)) {
            if (!TapDots.applies(s)) continue;
            applied++;
            int xs = s.batch() * s.imageSize(), ys = s.batch() * s.outImageSize(), ws = s.outChannels() * s.patchRows();
            float[] g = KernelTestSupport.random(rnd, ys, -1f, 1f);
            for (float bad : new float[] {0f, Float.POSITIVE_INFINITY, Float.NaN}) {
                float[] x = KernelTestSupport.random(rnd, xs, -1f, 1f);
                if (bad != 0f) x[rnd.nextInt(xs)] = bad;
                float[][] dw = new float[2][ws];
                for (int v = 0; v < 2; v++) {
                    float[] cols = new float[Convolution.patchBufferSize(s)];
                    java.util.Arrays.fill(cols, Float.NaN);
                    int[] rows = new int[ImplicitPatches.rowTableSize(s)];
                    Convolution.weightGradientImages(s, 0, s.batch(), x, 0, g, 0, dw[v], 0, false, cols, rows, v == 0);
                }
                float[] simd = new float[ws], scalar = new float[ws];
                Convolution.finishWeightGradient(s, dw[0], 0, simd, 0);
                Convolution.finishWeightGradient(s, dw[1], 0, scalar, 0);
                double[] exact = weightGradient64(s, x, g);
                for (int i = 0; i < ws; i++) {
                    String what = s + " with " + bad + ", weight " + i;
                    if (!Float.isFinite(scalar[i])) {
                        nonFinite++;
                        assertTrue(Float.isNaN(scalar[i]) ? Float.isNaN(simd[i]) : simd[i] == scalar[i], what + ": " + simd[i] + " vs " + scalar[i]);
                    } else {
                        assertTrue(Math.abs(simd[i] - exact[i]) <= 1e-5 * (1 + Math.abs(exact[i])), what + ": " + simd[i] + " vs " + exact[i]
                                + " (float64; the scalar twin " + scalar[i] + ")");
                    }
                }
            }
        }
        assertTrue(applied >= (wide ? 2 * WIDTHS.length : 1) && nonFinite > 0, "shapes on TapDots: " + applied + ", non-finite weights: " + nonFinite);
    }

    /** The weight gradient of s in float64, term by term from the definition: dw [O, C/groups, kh, kw]. */
    private static double[] weightGradient64(ConvShape s, float[] x, float[] g) {
        int og = s.groupOutChannels(), cg = s.groupChannels(), oh = s.outHeight(), ow = s.outWidth();
        double[] dw = new double[s.outChannels() * s.patchRows()];
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                for (int c = 0; c < cg; c++) {
                    int channel = o / og * cg + c;
                    for (int i = 0; i < s.kh(); i++) {
                        for (int j = 0; j < s.kw(); j++) {
                            double sum = 0;
                            for (int r = 0; r < oh; r++) {
                                int h = r * s.strideH() + i * s.dilationH() - s.padH();
                                if (h < 0 || h >= s.height()) continue;
                                for (int q = 0; q < ow; q++) {
                                    int w = q * s.strideW() + j * s.dilationW() - s.padW();
                                    if (w < 0 || w >= s.width()) continue;
                                    sum += (double) g[((n * s.outChannels() + o) * oh + r) * ow + q]
                                            * x[((n * s.channels() + channel) * s.height() + h) * s.width() + w];
                                }
                            }
                            dw[((o * cg + c) * s.kh() + i) * s.kw() + j] += sum;
                        }
                    }
                }
            }
        }
        return dw;
    }

    /**
     * ShiftedTaps takes lenet5's second convolution and the stride-1 shapes above with few input channels and small
     * outputs; on them it agrees with the scalar twin (the exact path) within rounding, with an infinite or NaN
     * gradient among them too, and a non-finite weight, which its padded lanes would spread, sends the call to the
     * exact path: the same values, NaN where it has NaN.
     */
    @Test
    void shiftedTapsAgreeWithTheExactPathAndSpreadNoNonFiniteWeight() {
        assertTrue(ShiftedTaps.applies(new ConvShape(128, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1)), "lenet5.3");
        Random rnd = new Random(9);
        int applied = 0, nonFinite = 0;
        for (ConvShape s : shapes(3)) {
            if (!ShiftedTaps.applies(s)) continue;
            applied++;
            int xs = s.batch() * s.imageSize(), ys = s.batch() * s.outImageSize(), ws = s.outChannels() * s.patchRows();
            for (int bad = 0; bad < 4; bad++) {
                float[] g = KernelTestSupport.random(rnd, ys, -1f, 1f), w = KernelTestSupport.random(rnd, ws, -1f, 1f);
                if (bad == 1) g[rnd.nextInt(ys)] = Float.POSITIVE_INFINITY;
                if (bad == 2) w[rnd.nextInt(ws)] = Float.NEGATIVE_INFINITY;
                if (bad == 3) w[rnd.nextInt(ws)] = Float.NaN;
                float[][] dx = new float[2][xs];
                for (int v = 0; v < 2; v++) {
                    float[] cols = new float[Convolution.patchBufferSize(s)];
                    java.util.Arrays.fill(cols, Float.NaN);
                    java.util.Arrays.fill(dx[v], Float.NaN);
                    int[] rows = new int[ImplicitPatches.rowTableSize(s)];
                    Convolution.inputGradientImages(s, 0, s.batch(), g, 0, w, 0, null, dx[v], 0, cols, rows, v == 0);
                }
                for (int i = 0; i < xs; i++) {
                    float simd = dx[0][i], scalar = dx[1][i];
                    String what = s + " case " + bad + ", element " + i + ": " + simd + " vs " + scalar;
                    if (!Float.isFinite(scalar)) {
                        nonFinite++;
                        assertTrue(Float.isNaN(scalar) ? Float.isNaN(simd) : simd == scalar, what);
                    } else {
                        assertTrue(Math.abs(simd - scalar) <= 1e-5f * (1 + Math.abs(scalar)), what);
                    }
                }
            }
        }
        assertTrue(applied >= WIDTHS.length && nonFinite > 0, "shapes on ShiftedTaps: " + applied + ", non-finite elements: " + nonFinite);
    }

    /** Runs the three passes on random data, checks them against the loop, returns their results. */
    private static float[][] check(ConvShape s, Random rnd, boolean withBias) {
        int xs = s.batch() * s.imageSize(), ys = s.batch() * s.outImageSize(), ws = s.outChannels() * s.patchRows();
        float[] x = KernelTestSupport.random(rnd, xs, -1f, 1f), w = KernelTestSupport.random(rnd, ws, -1f, 1f);
        float[] g = KernelTestSupport.random(rnd, ys, -1f, 1f), bias = KernelTestSupport.random(rnd, s.outChannels(), -1f, 1f);
        double[] y = new double[ys], dx = new double[xs], dw = new double[ws];
        int oh = s.outHeight(), ow = s.outWidth(), cg = s.groupChannels(), og = s.groupOutChannels();
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        int yi = ((n * s.outChannels() + o) * oh + r) * ow + q;
                        for (int c = 0; c < cg; c++) {
                            for (int i = 0; i < s.kh(); i++) {
                                for (int j = 0; j < s.kw(); j++) {
                                    int ih = r * s.strideH() + i * s.dilationH() - s.padH(), iw = q * s.strideW() + j * s.dilationW() - s.padW();
                                    if (ih < 0 || ih >= s.height() || iw < 0 || iw >= s.width()) continue;
                                    int xi = ((n * s.channels() + o / og * cg + c) * s.height() + ih) * s.width() + iw;
                                    int wi = ((o * cg + c) * s.kh() + i) * s.kw() + j;
                                    y[yi] += x[xi] * w[wi];
                                    dx[xi] += g[yi] * w[wi];
                                    dw[wi] += x[xi] * g[yi];
                                }
                            }
                        }
                    }
                }
            }
        }
        float[] out = new float[ys + 1], gx = new float[xs + 2], gw = new float[ws + 3];
        java.util.Arrays.fill(gx, Float.NaN);
        java.util.Arrays.fill(gw, Float.NaN);
        Convolution.forward(s, x, 0, w, 0, withBias ? bias : null, 0, withBias, out, 1);
        Convolution.inputGradient(s, g, 0, w, 0, gx, 2);
        Convolution.weightGradient(s, x, 0, g, 0, gw, 3);
        float[] ey = new float[ys], edx = new float[xs], edw = new float[ws];
        for (int i = 0; i < ys; i++) {
            double v = y[i] + (withBias ? bias[i / (oh * ow) % s.outChannels()] : 0);
            ey[i] = (float) (withBias ? Math.max(0, v) : v);
        }
        for (int i = 0; i < xs; i++) edx[i] = (float) dx[i];
        for (int i = 0; i < ws; i++) edw[i] = (float) dw[i];
        float[] fy = java.util.Arrays.copyOfRange(out, 1, ys + 1), fdx = java.util.Arrays.copyOfRange(gx, 2, xs + 2);
        float[] fdw = java.util.Arrays.copyOfRange(gw, 3, ws + 3);
        KernelTestSupport.assertClose(ey, fy, 1e-4f, 1e-4f, "forward " + s);
        KernelTestSupport.assertClose(edx, fdx, 1e-4f, 1e-4f, "input gradient " + s);
        KernelTestSupport.assertClose(edw, fdw, 1e-4f, 1e-3f, "weight gradient " + s);
        return new float[][] {fy, fdx, fdw};
    }
}

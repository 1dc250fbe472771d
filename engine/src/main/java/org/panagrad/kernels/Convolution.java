package org.panagrad.kernels;

/**
 * 2-D convolution in NCHW on the packed GEMM, and its two gradients, all through the same machinery: for each
 * image and group, the patch matrix (im2col, {@link Patches}) of {@code (C/groups) kh kw} rows by
 * {@code outH outW} columns is built in a per-thread buffer the size of ONE image's patches (never the batch's),
 * and then
 * <ul>
 * <li>forward: {@code Y_g = W_g · patches} (O/groups x positions), bias and ReLU in the GEMM's epilogue;</li>
 * <li>input gradient: {@code patches = W_g^T · dY_g}, added back into dX by col2im;</li>
 * <li>weight gradient: {@code dW_g += dY_g · patches^T}.</li>
 * </ul>
 * A 1 x 1 convolution with stride 1 and no padding reads (or writes) the image itself as its patch matrix.
 * Images are independent, so the forward pass and the input gradient split the batch over the GEMM's worker
 * pool (each image's GEMMs then run on one thread); the weight gradient sums over the batch in a fixed number
 * of chunks, each into its own partial sum, added in chunk order, so every result is the same bit for bit
 * whatever the thread count. Small convolutions run on the calling thread, their GEMMs splitting themselves.
 */
public final class Convolution {
    private Convolution() {}

    /** Chunks of the batch whose weight-gradient partial sums are added at the end (fixed: results do not depend on threads). */
    static final int WEIGHT_CHUNKS = 8;

    /**
     * y = act(conv(x, w) + bias): x {@code [batch, C, H, W]} at xOff, w {@code [O, C/groups, kh, kw]} at wOff, y
     * {@code [batch, O, outH, outW]} at yOff, bias (may be null) of length O, ReLU when relu.
     */
    public static void forward(ConvShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                               boolean relu, float[] y, int yOff) {
        ConvJob.current().run(ConvJob.Kind.FORWARD, s, x, xOff, w, wOff, bias, biasOff, relu, y, yOff);
    }

    /** dx = the adjoint of the convolution with w applied to dy: dy {@code [batch, O, outH, outW]}, dx like x. */
    public static void inputGradient(ConvShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff) {
        ConvJob.current().run(ConvJob.Kind.INPUT_GRADIENT, s, dy, dyOff, w, wOff, null, 0, false, dx, dxOff);
    }

    /** dw = the sum over the batch of dY_g · patches(x)^T: x like the input, dy like the output, dw like the weight. */
    public static void weightGradient(ConvShape s, float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff) {
        ConvJob.current().run(ConvJob.Kind.WEIGHT_GRADIENT, s, x, xOff, dy, dyOff, null, 0, false, dw, dwOff);
    }

    /** The forward pass of images [n0, n1) with patches built in cols. */
    static void forwardImages(ConvShape s, int n0, int n1, float[] x, int xOff, float[] w, int wOff, float[] bias,
                              int biasOff, boolean relu, float[] y, int yOff, float[] cols, boolean simd) {
        int og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions();
        for (int n = n0; n < n1; n++) {
            int image = xOff + n * s.imageSize(), out = yOff + n * s.outImageSize();
            if (bias != null) {
                for (int o = 0; o < s.outChannels(); o++) Elementwise.fill(p, bias[biasOff + o], y, out + o * p);
            }
            for (int g = 0; g < s.groups(); g++) {
                float[] b = cols;
                int bOff = 0;
                if (s.patchesAreInput()) {
                    b = x;
                    bOff = image + g * kg * p;
                } else {
                    Patches.im2col(s, x, image, g, cols, simd);
                }
                Gemm.gemm(false, false, og, p, kg, 1f, w, wOff + g * og * kg, kg, b, bOff, p,
                        bias != null ? 1f : 0f, y, out + g * og * p, p, null, 0, relu, null, 0);
            }
        }
    }

    /** The input gradient of images [n0, n1). */
    static void inputGradientImages(ConvShape s, int n0, int n1, float[] dy, int dyOff, float[] w, int wOff,
                                    float[] dx, int dxOff, float[] cols, boolean simd) {
        int og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions();
        for (int n = n0; n < n1; n++) {
            int image = dxOff + n * s.imageSize(), grad = dyOff + n * s.outImageSize();
            if (!s.patchesAreInput()) Elementwise.fill(s.imageSize(), 0f, dx, image);
            for (int g = 0; g < s.groups(); g++) {
                int wg = wOff + g * og * kg, dyg = grad + g * og * p;
                if (s.patchesAreInput()) {
                    Gemm.gemm(true, false, kg, p, og, 1f, w, wg, kg, dy, dyg, p, 0f, dx, image + g * kg * p, p);
                } else {
                    Gemm.gemm(true, false, kg, p, og, 1f, w, wg, kg, dy, dyg, p, 0f, cols, 0, p);
                    Patches.col2im(s, cols, g, dx, image, simd);
                }
            }
        }
    }

    /** dw (or, with accumulate, dw +) the weight gradient summed over images [n0, n1). */
    static void weightGradientImages(ConvShape s, int n0, int n1, float[] x, int xOff, float[] dy, int dyOff,
                                     float[] dw, int dwOff, boolean accumulate, float[] cols, boolean simd) {
        int og = s.groupOutChannels(), kg = s.patchRows(), p = s.positions();
        for (int n = n0; n < n1; n++) {
            int image = xOff + n * s.imageSize(), grad = dyOff + n * s.outImageSize();
            float beta = accumulate || n > n0 ? 1f : 0f;
            for (int g = 0; g < s.groups(); g++) {
                float[] b = cols;
                int bOff = 0;
                if (s.patchesAreInput()) {
                    b = x;
                    bOff = image + g * kg * p;
                } else {
                    Patches.im2col(s, x, image, g, cols, simd);
                }
                Gemm.gemm(false, true, og, kg, p, 1f, dy, grad + g * og * p, p, b, bOff, p, beta,
                        dw, dwOff + g * og * kg, kg);
            }
        }
    }
}

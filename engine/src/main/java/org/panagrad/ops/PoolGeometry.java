package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;

import java.util.Arrays;

/**
 * A pooling window (torch.nn.functional.max_pool2d's and avg_pool2d's kernel_size, stride and padding, each per
 * spatial axis; no dilation, floor mode). Padding is at most half the window, as PyTorch requires, so every
 * window holds at least one input element.
 */
public record PoolGeometry(int kh, int kw, int strideH, int strideW, int padH, int padW) {
    /** From PyTorch-style pairs {height, width} (or one value for both); a null stride is the kernel size. */
    public static PoolGeometry of(int[] kernel, int[] stride, int[] padding) {
        int[] k = ConvGeometry.pair("kernel size", kernel), s = stride == null ? k : ConvGeometry.pair("stride", stride);
        int[] p = ConvGeometry.pair("padding", padding);
        return new PoolGeometry(k[0], k[1], s[0], s[1], p[0], p[1]);
    }

    /** The kernels' geometry: a convolution with one group per channel. */
    ConvShape shape(Shape x) {
        return new ConvShape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), x.dim(1), kh, kw, strideH, strideW, padH, padW, 1, 1, x.dim(1));
    }

    /** The pooled shape of an input of shape x (unchecked). */
    Shape pooled(Shape x) {
        ConvShape s = shape(x);
        return Shape.of(x.dim(0), x.dim(1), s.outHeight(), s.outWidth());
    }

    /** The pooled shape of x, after checking that the window fits. */
    Shape outputShape(String op, Node x) {
        String where = op + " of " + x.describe() + " with kernel " + kh + "x" + kw + ", stride " + strideH + "x" + strideW
                + ", padding " + padH + "x" + padW;
        if (x.shape().rank() != 4) throw new ShapeException(where + ": needs an input [N, C, H, W]");
        if (kh < 1 || kw < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new ShapeException(where + ": kernel and stride must be at least 1 and padding at least 0");
        }
        if (2 * padH > kh || 2 * padW > kw) throw new ShapeException(where + ": padding must be at most half the kernel size");
        int ph = x.shape().dim(2) + 2 * padH, pw = x.shape().dim(3) + 2 * padW;
        if (kh > ph || kw > pw) {
            throw new ShapeException(where + ": the kernel is larger than the padded input " + ph + "x" + pw);
        }
        return pooled(x.shape());
    }

    /** Called for every (output element, input element of its window), windows in order, each row-major. */
    interface Visit {
        void visit(int yIndex, int xIndex);
    }

    static void forEachWindowElement(ConvShape s, Visit visit) {
        int oh = s.outHeight(), ow = s.outWidth(), h = s.height(), w = s.width();
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    for (int i = 0; i < s.kh(); i++) {
                        int ih = r * s.strideH() + i - s.padH();
                        if (ih < 0 || ih >= h) continue;
                        for (int j = 0; j < s.kw(); j++) {
                            int iw = q * s.strideW() + j - s.padW();
                            if (iw >= 0 && iw < w) visit.visit((plane * oh + r) * ow + q, (plane * h + ih) * w + iw);
                        }
                    }
                }
            }
        }
    }

    /** For each output element, the index of its window's first maximum of x (PyTorch's tie rule). */
    static int[] argMax(ConvShape s, double[] x) {
        int[] arg = new int[s.batch() * s.channels() * s.outHeight() * s.outWidth()];
        double[] best = new double[arg.length];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        Arrays.fill(arg, -1);
        forEachWindowElement(s, (yi, xi) -> {
            if (arg[yi] < 0 || x[xi] > best[yi]) {
                arg[yi] = xi;
                best[yi] = x[xi];
            }
        });
        return arg;
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.ConvShape;

/**
 * How a 2-D convolution slides its kernel (torch.nn.functional.conv2d's arguments): stride, zero padding on
 * both sides and dilation per spatial axis (height, width), and groups. Shared by the convolution and its two
 * gradients, which see the same taps from the other side.
 */
public record ConvGeometry(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    /** Stride 1, no padding, no dilation, one group. */
    public static final ConvGeometry DEFAULT = new ConvGeometry(1, 1, 0, 0, 1, 1, 1);

    /** From PyTorch-style pairs {height, width} (or one value for both). */
    public static ConvGeometry of(int[] stride, int[] padding, int[] dilation, int groups) {
        int[] s = pair("stride", stride), p = pair("padding", padding), d = pair("dilation", dilation);
        return new ConvGeometry(s[0], s[1], p[0], p[1], d[0], d[1], groups);
    }

    static int[] pair(String what, int[] v) {
        if (v == null || v.length == 0 || v.length > 2) {
            throw new ShapeException("conv2d: " + what + " needs one value or two (height, width), got "
                    + (v == null ? "null" : java.util.Arrays.toString(v)));
        }
        return v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
    }

    /** The kernels' view of a convolution of x by a weight of shape w with this geometry. */
    ConvShape shape(Shape x, Shape w) {
        return new ConvShape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3),
                strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }

    /**
     * The output shape of conv2d(x, w), after checking that they fit: rank 4 both, channels divisible by groups,
     * the weight's input channels those of one group, the dilated kernel no larger than the padded input.
     */
    Shape outputShape(String op, Node x, Node w) {
        if (x.shape().rank() != 4 || w.shape().rank() != 4) {
            throw ShapeException.of(op, x, w, "needs an input [N, C, H, W] and a weight [O, C/groups, kh, kw]");
        }
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0 || groups < 1) {
            throw ShapeException.of(op, x, w, "stride and dilation must be at least 1, padding at least 0 and groups"
                    + " at least 1, got " + this);
        }
        Shape xs = x.shape(), ws = w.shape();
        int c = xs.dim(1), o = ws.dim(0);
        if (c % groups != 0) throw ShapeException.of(op, x, w, "input channels " + c + " do not divide by groups " + groups);
        if (o % groups != 0) throw ShapeException.of(op, x, w, "output channels " + o + " do not divide by groups " + groups);
        if (ws.dim(1) * groups != c) {
            throw ShapeException.of(op, x, w, "the weight takes " + ws.dim(1) + " input channels per group, and the input"
                    + " has " + c + " channels in " + groups + " group" + (groups == 1 ? "" : "s"));
        }
        int ekh = dilationH * (ws.dim(2) - 1) + 1, ekw = dilationW * (ws.dim(3) - 1) + 1;
        int ph = xs.dim(2) + 2 * padH, pw = xs.dim(3) + 2 * padW;
        if (ekh > ph || ekw > pw) {
            throw ShapeException.of(op, x, w, "the kernel " + ekh + "x" + ekw + (dilationH > 1 || dilationW > 1 ? " (dilated)" : "")
                    + " is larger than the padded input " + ph + "x" + pw);
        }
        ConvShape s = shape(xs, ws);
        return Shape.of(xs.dim(0), o, s.outHeight(), s.outWidth());
    }

    /** Called for every (input element, weight element, output element) that the convolution multiplies together. */
    interface Tap {
        void visit(int xIndex, int wIndex, int yIndex);
    }

    /** Every tap of the convolution s, in plain loops: the float64 references of the three ops are built on it. */
    static void forEachTap(ConvShape s, Tap tap) {
        int oh = s.outHeight(), ow = s.outWidth(), cg = s.groupChannels(), og = s.groupOutChannels();
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                int g = o / og;
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        int yi = ((n * s.outChannels() + o) * oh + r) * ow + q;
                        for (int c = 0; c < cg; c++) {
                            int channel = g * cg + c;
                            for (int i = 0; i < s.kh(); i++) {
                                int ih = r * s.strideH() + i * s.dilationH() - s.padH();
                                if (ih < 0 || ih >= s.height()) continue;
                                for (int j = 0; j < s.kw(); j++) {
                                    int iw = q * s.strideW() + j * s.dilationW() - s.padW();
                                    if (iw < 0 || iw >= s.width()) continue;
                                    tap.visit(((n * s.channels() + channel) * s.height() + ih) * s.width() + iw,
                                            ((o * cg + c) * s.kh() + i) * s.kw() + j, yi);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Multiply-adds of the convolution s (each of its gradients costs the same). */
    static long flops(ConvShape s) {
        return 2L * s.batch() * s.outImageSize() * s.patchRows();
    }
}

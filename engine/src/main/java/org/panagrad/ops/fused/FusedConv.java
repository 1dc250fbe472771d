package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Conv2d;
import org.panagrad.ops.ConvGeometry;

/**
 * conv2d(x, w) + bias per output channel, optionally followed by ReLU: the GEMM starts from the bias and its
 * epilogue clamps, so the convolution's output is written once.
 */
public record FusedConv(Conv2d conv, boolean relu) implements FusedOp {
    /** Fuses {@code conv + bias} (bias one value per channel, [O, 1, 1] or [1, O, 1, 1]) and an optional ReLU. */
    public static Node of(Node conv, Node bias, boolean relu, Shape out) {
        return conv.graph().node(new FusedConv((Conv2d) conv.op(), relu), out, conv.input(0), conv.input(1), bias);
    }

    /** Whether b holds one value per channel of the NCHW value y, broadcast over the rest. */
    public static boolean isChannelBias(Node b, Node y) {
        Shape s = b.shape();
        int r = s.rank();
        return y.shape().rank() == 4 && r >= 3 && r <= 4 && s.numel() == y.shape().dim(1) && s.dim(r - 3) == y.shape().dim(1);
    }

    @Override
    public String name() {
        return "conv2d+bias" + (relu ? "+relu" : "");
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        conv.reference(y, in, out); // y has the convolution's operands and shape
        int o = y.shape().dim(1), plane = y.shape().dim(2) * y.shape().dim(3);
        for (int i = 0; i < out.length; i++) {
            double v = out[i] + in[2][i / plane % o];
            out[i] = relu && v < 0 ? 0 : v;
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return conv.compileConvolution(y, b, y.input(2), relu);
    }

    @Override
    public long flops(Node y) {
        return conv.flops(y);
    }

    /** The geometry of the fused convolution. */
    public ConvGeometry geometry() {
        return conv.geometry();
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Reductions;
import org.panagrad.kernels.Strided;

import java.util.Arrays;

/**
 * What the reductions over a set of axes share. The result is row-major over the input's other axes, so its
 * shape may keep the reduced axes with size 1 (keepdims), drop them, or be any shape with as many elements
 * (the shape of an operand whose broadcast is being summed back): the memory is the same.
 */
interface Reduction extends Op {
    /** The reduced axes of the input, as a mask (bit i for axis i). */
    int axes();

    /** True for the maximum, false for the sum. */
    boolean isMax();

    /** Builds op(x) with the result shaped {@code out}, which must hold the kept axes' elements. */
    static Node build(Reduction op, Node x, Shape out) {
        if (out.numel() != Axes.kept(x.shape(), op.axes())) {
            throw new ShapeException(op.name() + " of " + x.describe() + " over axes mask " + Integer.toBinaryString(op.axes())
                    + ": the result " + out + " must hold " + Axes.kept(x.shape(), op.axes()) + " elements");
        }
        return x.graph().node(op, out, x);
    }

    @Override
    default void reference(Node y, double[][] in, double[] out) {
        int[] into = Axes.index(y.input(0).shape(), axes());
        Arrays.fill(out, isMax() ? Double.NEGATIVE_INFINITY : 0);
        for (int i = 0; i < into.length; i++) {
            double v = in[0][i];
            out[into[i]] = isMax() ? Math.max(out[into[i]], v) : out[into[i]] + v;
        }
    }

    @Override
    default Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y);
        Strided s = Strided.reduction(x.shape().dims(), axes());
        if (isMax()) return () -> Reductions.max(s, xa, xo, out, oo);
        return () -> Reductions.sum(s, xa, xo, out, oo);
    }

    @Override
    default long flops(Node y) {
        return y.input(0).shape().numel();
    }
}

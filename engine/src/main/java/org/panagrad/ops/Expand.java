package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.Strided;

/**
 * Repeats its input along a set of the output's axes (broadcast_to): the adjoint of {@link Sum} over the same
 * axes. The input is read row-major over the output's other axes, whatever its own shape (the shape of a sum
 * with or without keepdims, or a broadcast operand). Rare on hot paths: binary ops broadcast by themselves, and
 * the compiler reads an expanded operand unexpanded where it can.
 */
public record Expand(int axes) implements Op {
    static Node of(Node x, int axes, Shape out) {
        if (x.shape().numel() != Axes.kept(out, axes)) {
            throw new ShapeException("expand of " + x.describe() + " to " + out + " along axes mask "
                    + Integer.toBinaryString(axes) + ": needs " + Axes.kept(out, axes) + " elements");
        }
        return x.graph().node(new Expand(axes), out, x);
    }

    /** x broadcast to the given shape by NumPy's rule (numpy.broadcast_to, torch.Tensor.expand). */
    public static Node to(Node x, Shape shape) {
        if (!Broadcast.broadcastsTo(x.shape(), shape)) {
            throw new ShapeException("broadcast_to of " + x.describe() + " to " + shape
                    + ": each dimension must equal the target's or be 1, and the rank must not exceed it");
        }
        return Broadcast.expandTo(x, shape);
    }

    @Override public String name() { return "expand"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {Sum.of(g, axes, y.input(0).shape())}; }
    @Override public Node jvp(Node y, Node[] t) { return of(t[0], axes, y.shape()); }
    @Override public Node batched(Node y, Node[] in, boolean[] stacked, int k) {
        return of(in[0], axes << 1, y.shape().withLeading(k));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int[] from = Axes.index(y.shape(), axes);
        for (int i = 0; i < out.length; i++) out[i] = in[0][from[i]];
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y);
        Strided s = Strided.elementwise(y.shape().dims(), Axes.strides(y.shape(), axes));
        return () -> Elementwise.broadcast(s, xa, xo, out, oo);
    }

    @Override
    public long flops(Node y) {
        return 0;
    }
}

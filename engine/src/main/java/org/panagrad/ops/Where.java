package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Constant;
import org.panagrad.graph.Fill;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.Strided;

/**
 * where(mask, a, b): a where the mask is 1, b where it is 0, as torch.where and jnp.where, with a constant mask
 * of zeros and ones (a {@code Graph.constant} or a fill) such as a causal attention mask. All three broadcast
 * together. Inputs (mask, a, b); the mask is not differentiable, and each cotangent goes to the side chosen.
 */
public record Where() implements Op {
    public static Node of(Node mask, Node a, Node b) {
        checkMask(mask);
        Shape out = Broadcast.shape("where", mask, a, b);
        return a.graph().node(new Where(), out, mask, a, b);
    }

    private static void checkMask(Node mask) {
        boolean binary;
        if (mask.op() instanceof Constant c) {
            binary = true;
            for (float v : c.values()) binary &= v == 0f || v == 1f;
        } else if (mask.op() instanceof Fill f) {
            binary = f.value() == 0 || f.value() == 1;
        } else {
            throw new ShapeException("where: the mask " + mask.describe() + " must be a constant (Graph.constant or a fill) of zeros and ones");
        }
        if (!binary) throw new ShapeException("where: the mask " + mask.describe() + " holds values other than 0 and 1");
    }

    @Override public String name() { return "where"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node mask = y.input(0), zero = y.graph().fill(0, Shape.scalar());
        return new Node[] {null, Broadcast.sumTo(of(mask, g, zero), y.input(1).shape()),
                Broadcast.sumTo(of(mask, zero, g), y.input(2).shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        if (t[1] == null && t[2] == null) return null;
        Node zero = y.graph().fill(0, Shape.scalar());
        return of(y.input(0), t[1] == null ? zero : t[1], t[2] == null ? zero : t[2]);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Shape s = y.shape();
        int[] im = Broadcast.index(y.input(0).shape(), s), ia = Broadcast.index(y.input(1).shape(), s);
        int[] ib = Broadcast.index(y.input(2).shape(), s);
        for (int i = 0; i < out.length; i++) out[i] = in[0][im[i]] != 0 ? in[1][ia[i]] : in[2][ib[i]];
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node m = y.input(0), a = y.input(1), b = y.input(2);
        float[] ma = buf.array(m), aa = buf.array(a), ba = buf.array(b), out = buf.array(y);
        int mo = buf.offset(m), ao = buf.offset(a), bo = buf.offset(b), oo = buf.offset(y);
        Strided s = Broadcast.layout(y.shape(), m.shape(), a.shape(), b.shape());
        return () -> Elementwise.select(s, ma, mo, aa, ao, ba, bo, out, oo);
    }

    @Override
    public int inPlaceInput(Node y) {
        if (y.input(1).shape().numel() == y.shape().numel()) return 1;
        if (y.input(2).shape().numel() == y.shape().numel()) return 2;
        return -1;
    }
}

package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.ChainOp;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.Strided;
import org.panagrad.ops.Add;
import org.panagrad.ops.Broadcast;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Sub;

/**
 * Two broadcasting binary ops, (a op b) op' c, as one pass ({@link ChainOp}): the inner op's result is never
 * stored. Derivative rules build many such chains (a layer norm's HVP has hundreds of products added to or
 * subtracted from a third tensor); each costs one pass over its output instead of two. Same bits as the two ops.
 */
public record ElementwiseChain(ChainOp op) implements FusedOp {
    /** op(a, b, c) of the given shape, to which each operand broadcasts. */
    public static Node of(ChainOp op, Node a, Node b, Node c, Shape shape) {
        return a.graph().node(new ElementwiseChain(op), shape, a, b, c);
    }

    /** Whether outer and its operand {@code side}, both binary ops, form a chain of {@link ChainOp}. */
    public static boolean merges(Node outer, int side) {
        return chainOf(outer.input(side).op(), outer.op(), side) != null;
    }

    /** outer with its operand {@code side} computed in the same pass (see {@link #merges}). */
    public static Node merge(Node outer, int side) {
        Node inner = outer.input(side);
        return of(chainOf(inner.op(), outer.op(), side), inner.input(0), inner.input(1), outer.input(1 - side), outer.shape());
    }

    private static ChainOp chainOf(Op inner, Op outer, int side) {
        if (inner instanceof Mul) {
            if (outer instanceof Add) return ChainOp.MUL_ADD;
            if (outer instanceof Mul) return ChainOp.MUL_MUL;
            if (outer instanceof Sub) return side == 0 ? ChainOp.MUL_SUB : ChainOp.MUL_SUBTRACTED;
            return null;
        }
        if (!(outer instanceof Mul)) return null;
        if (inner instanceof Add) return ChainOp.ADD_MUL;
        if (inner instanceof Sub) return ChainOp.SUB_MUL;
        return null;
    }

    @Override public String name() { return "chain_" + op.name().toLowerCase(java.util.Locale.ROOT); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Shape s = y.shape();
        int[] ia = Broadcast.index(y.input(0).shape(), s), ib = Broadcast.index(y.input(1).shape(), s),
                ic = Broadcast.index(y.input(2).shape(), s);
        for (int i = 0; i < out.length; i++) out[i] = op.apply(in[0][ia[i]], in[1][ib[i]], in[2][ic[i]]);
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node a = y.input(0), b = y.input(1), c = y.input(2);
        float[] aa = buf.array(a), ba = buf.array(b), ca = buf.array(c), out = buf.array(y);
        int ao = buf.offset(a), bo = buf.offset(b), co = buf.offset(c), oo = buf.offset(y);
        Strided s = Broadcast.layout(y.shape(), a.shape(), b.shape(), c.shape());
        ChainOp k = op;
        return () -> Elementwise.chain(k, s, aa, ao, ba, bo, ca, co, out, oo);
    }

    /** Any operand of the output's size: each element is read before it is written, at the same place. */
    @Override
    public int inPlaceInput(Node y) {
        for (int i = 0; i < 3; i++) if (y.input(i).shape().numel() == y.shape().numel()) return i;
        return -1;
    }

    @Override public long flops(Node y) { return 2L * y.shape().numel(); }
}

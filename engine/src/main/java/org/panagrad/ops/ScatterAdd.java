package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Layout;

/**
 * The adjoint of {@link Gather}: a table of the output's shape, zero, into whose row indices[i...] each row
 * g[i..., :] is added (rows picked twice get both), in order, so the result does not depend on the SIMD width.
 * Its own adjoint is the gather. Indices are checked as the gather checks them.
 */
public record ScatterAdd() implements Op {
    /** Rows of g (shape indices.shape + a row) added into a zero table of shape {@code table}. */
    public static Node of(Node g, Node indices, Shape table) {
        Gather.checkOperands("scatter_add", g, indices);
        if (table.rank() < 1 || !Gather.shape(indices.shape(), table).equals(g.shape())) {
            throw ShapeException.of("scatter_add into " + table, g, indices, "the values must have the indices' shape"
                    + " followed by the shape of one row of the table");
        }
        return g.graph().node(new ScatterAdd(), table, g, indices);
    }

    @Override public String name() { return "scatter_add"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Gather.of(g, y.input(1)), null};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : of(t[0], y.input(1), y.shape());
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int rows = y.shape().dim(0), rowLen = y.shape().numel() / rows;
        java.util.Arrays.fill(out, 0);
        for (int i = 0; i < in[1].length; i++) {
            int row = Gather.row("scatter_add", y, y.input(1), in[1], i);
            for (int j = 0; j < rowLen; j++) out[row * rowLen + j] += in[0][i * rowLen + j];
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node g = y.input(0), indices = y.input(1);
        float[] ga = b.array(g), ia = b.array(indices), out = b.array(y);
        int go = b.offset(g), io = b.offset(indices), oo = b.offset(y);
        int rows = y.shape().dim(0), rowLen = y.shape().numel() / rows, n = indices.shape().numel();
        return Gather.checkingIndices("scatter_add", y, indices, b,
                () -> Layout.scatterAddRows(n, rowLen, ga, go, ia, io, rows, out, oo));
    }

    @Override
    public long flops(Node y) {
        return y.input(0).shape().numel();
    }
}

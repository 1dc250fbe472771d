package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.Reductions;

/**
 * Sum over the rows and/or the columns of the input's matrix view. Also the adjoint of broadcasting:
 * the cotangent of a broadcast operand is summed back to its shape.
 */
public record Sum(boolean rows, boolean cols) implements Op {
    static Node of(Node x, boolean rows, boolean cols, Shape out) {
        return x.graph().node(new Sum(rows, cols), out, x);
    }

    public static Node all(Node x) {
        return of(x, true, true, Shape.scalar());
    }

    public static Node over(Node x, int axis, boolean keepDims) {
        Shape s = x.shape();
        if (axis < 0 || axis >= s.rank()) {
            throw new org.panagrad.graph.ShapeException("sum of " + x.describe() + ": axis " + axis
                    + " is out of range for rank " + s.rank());
        }
        if (s.rank() == 1) return of(x, false, true, keepDims ? Shape.of(1) : Shape.scalar());
        return axis == 0 ? of(x, true, false, keepDims ? Shape.of(1, s.dim(1)) : Shape.of(s.dim(1)))
                : of(x, false, true, keepDims ? Shape.of(s.dim(0), 1) : Shape.of(s.dim(0)));
    }

    @Override
    public String name() {
        return rows && cols ? "sum" : rows ? "sum_rows" : "sum_cols";
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Expand.of(g, rows, cols, y.input(0).shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return of(t[0], rows, cols, y.shape());
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Shape s = y.input(0).shape();
        int r = s.rows(), c = s.cols();
        java.util.Arrays.fill(out, 0);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                out[(rows ? 0 : i) * (cols ? 1 : c) + (cols ? 0 : j)] += in[0][i * c + j];
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), r = x.shape().rows(), c = x.shape().cols();
        if (rows && cols) return () -> out[oo] = Reductions.sum(r * c, xa, xo);
        if (rows) return () -> Reductions.sumOverRows(r, c, xa, xo, out, oo);
        return () -> Reductions.sumOverCols(r, c, xa, xo, out, oo);
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.DType;
import org.panagrad.graph.Input;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Layout;

/**
 * Rows of a table picked by integer indices, an embedding lookup: for a table [rows, ...] and indices of any
 * shape (integers, {@link org.panagrad.graph.Graph#integers}), y[i..., :] = table[indices[i...], :], of shape
 * indices.shape + table.shape[1:]. The adjoint in the table is a scatter-add ({@link ScatterAdd}); the indices
 * have none. Every index is checked before anything is read: one outside [0, rows) fails naming it, its
 * position and the bound.
 */
public record Gather() implements Op {
    public static Node of(Node table, Node indices) {
        checkOperands("gather", table, indices);
        int rows = table.shape().dim(0);
        if (indices.op() instanceof Input && Input.classesOf(indices) > rows) {
            throw ShapeException.of("gather", table, indices, "indices up to " + (Input.classesOf(indices) - 1)
                    + " would fall outside the table's " + rows + " rows");
        }
        return table.graph().node(new Gather(), shape(indices.shape(), table.shape()), table, indices);
    }

    static void checkOperands(String op, Node values, Node indices) {
        if (indices.dtype() != DType.LABELS) {
            throw ShapeException.of(op, values, indices, "indices must be integers (Graph.integers), not floats");
        }
        if (values.shape().rank() < 1) throw ShapeException.of(op, values, indices, "needs a table of rows, not a scalar");
    }

    /** indices.shape followed by the shape of one row. */
    static Shape shape(Shape indices, Shape table) {
        int[] dims = new int[indices.rank() + table.rank() - 1];
        for (int a = 0; a < indices.rank(); a++) dims[a] = indices.dim(a);
        for (int a = 1; a < table.rank(); a++) dims[indices.rank() + a - 1] = table.dim(a);
        return Shape.of(dims);
    }

    @Override public String name() { return "gather"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {ScatterAdd.of(g, y.input(1), y.input(0).shape()), null};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : of(t[0], y.input(1));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Node table = y.input(0), indices = y.input(1);
        int rowLen = table.shape().numel() / table.shape().dim(0);
        for (int i = 0; i < in[1].length; i++) {
            System.arraycopy(in[0], row("gather", table, indices, in[1], i) * rowLen, out, i * rowLen, rowLen);
        }
    }

    /** Index i of the float64 indices, checked as the instructions check them. */
    static int row(String op, Node table, Node indices, double[] values, int i) {
        double v = values[i];
        if (!(v >= 0 && v < table.shape().dim(0) && v == (int) v)) throw outOfRange(op, table, indices, i, (float) v);
        return (int) v;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node table = y.input(0), indices = y.input(1);
        float[] ta = b.array(table), ia = b.array(indices), out = b.array(y);
        int to = b.offset(table), io = b.offset(indices), oo = b.offset(y);
        int rows = table.shape().dim(0), rowLen = table.shape().numel() / rows, n = indices.shape().numel();
        return checkingIndices("gather", table, indices, b, () -> Layout.gatherRows(n, rowLen, ta, to, ia, io, out, oo));
    }

    /** The body, run only once every index is found in [0, rows of the table): else the error naming the first bad one. */
    static Instruction checkingIndices(String op, Node table, Node indices, Buffers b, Instruction body) {
        float[] ia = b.array(indices);
        int io = b.offset(indices), n = indices.shape().numel(), rows = table.shape().dim(0);
        return () -> {
            int bad = Layout.firstInvalidIndex(n, rows, ia, io);
            if (bad >= 0) throw outOfRange(op, table, indices, bad, ia[io + bad]);
            body.run();
        };
    }

    /** "gather from emb [10x4]: index 12 at position [1, 3] of ids [2x5] is outside [0, 10)". */
    static IndexOutOfBoundsException outOfRange(String op, Node table, Node indices, int position, float index) {
        int[] at = new int[indices.shape().rank()], strides = indices.shape().strides();
        for (int a = 0, rest = position; a < at.length; a++) {
            at[a] = rest / strides[a];
            rest %= strides[a];
        }
        String value = index == (int) index ? Integer.toString((int) index) : Float.toString(index);
        return new IndexOutOfBoundsException(op + " " + (op.equals("gather") ? "from " : "into ") + table.describe()
                + ": index " + value + " at position " + java.util.Arrays.toString(at) + " of " + indices.describe()
                + " is outside [0, " + table.shape().dim(0) + ")");
    }

    @Override public long flops(Node y) { return 0; }
}

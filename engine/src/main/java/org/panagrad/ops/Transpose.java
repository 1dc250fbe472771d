package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

/** Matrix transpose. Matmul takes transposed operands directly, so this op is for the other uses. */
public record Transpose() implements Op {
    public static Node of(Node x) {
        if (x.shape().rank() != 2) throw new ShapeException("transpose of " + x.describe() + ": needs a matrix");
        return x.graph().node(new Transpose(), Shape.of(x.shape().dim(1), x.shape().dim(0)), x);
    }

    @Override public String name() { return "transpose"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {of(g)}; }
    @Override public Node jvp(Node y, Node[] t) { return of(t[0]); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int r = y.shape().rows(), c = y.shape().cols();
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[i * c + j] = in[0][j * r + i];
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), r = y.shape().rows(), c = y.shape().cols();
        return () -> {
            for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[oo + i * c + j] = xa[xo + j * r + i];
        };
    }

    @Override public long flops(Node y) { return 0; }
}

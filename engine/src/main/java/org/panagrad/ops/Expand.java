package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;

/**
 * Repeats a row (rows = true), a column (cols = true) or a scalar (both) to fill a matrix of the output's
 * shape: the adjoint of {@link Sum}. Rare on hot paths, since binary ops broadcast by themselves.
 */
public record Expand(boolean rows, boolean cols) implements Op {
    static Node of(Node x, boolean rows, boolean cols, Shape out) {
        return x.graph().node(new Expand(rows, cols), out, x);
    }

    @Override
    public String name() {
        return "expand";
    }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Sum.of(g, rows, cols, y.input(0).shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return of(t[0], rows, cols, y.shape());
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int r = y.shape().rows(), c = y.shape().cols();
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) out[i * c + j] = in[0][(rows ? 0 : i) * (cols ? 1 : c) + (cols ? 0 : j)];
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x), oo = b.offset(y), r = y.shape().rows(), c = y.shape().cols();
        int rowStride = rows ? 0 : (cols ? 1 : c), colStride = cols ? 0 : 1;
        return () -> {
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < c; j++) out[oo + i * c + j] = xa[xo + i * rowStride + j * colStride];
            }
        };
    }

    @Override
    public long flops(Node y) {
        return 0;
    }
}

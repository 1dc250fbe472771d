package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.graph.View;

import java.util.Arrays;

/**
 * The same elements in row-major order under another shape. A view: in a compiled program it shares its
 * input's memory when that lives in the arena, and copies only an input or a parameter.
 */
public record Reshape() implements Op {
    public static Node of(Node x, Shape shape) {
        if (x.shape().equals(shape)) return x;
        if (x.shape().numel() != shape.numel()) {
            throw new ShapeException("reshape of " + x.describe() + " to " + shape + ": element counts "
                    + x.shape().numel() + " and " + shape.numel() + " differ");
        }
        return x.graph().node(new Reshape(), shape, x.dtype(), x);
    }

    /** To the given dims, one of which may be -1: the length that keeps the element count, as in PyTorch. */
    static Node of(Node x, int... dims) {
        int inferred = -1;
        long known = 1;
        for (int a = 0; a < dims.length; a++) {
            if (dims[a] == -1 && inferred < 0) {
                inferred = a;
            } else if (dims[a] <= 0) {
                throw new ShapeException("reshape of " + x.describe() + " to " + Arrays.toString(dims)
                        + ": dimensions must be positive, with at most one -1 to infer");
            } else {
                known *= dims[a];
            }
        }
        if (inferred < 0) return of(x, Shape.of(dims));
        int n = x.shape().numel();
        if (n % known != 0) {
            throw new ShapeException("reshape of " + x.describe() + " to " + Arrays.toString(dims) + ": "
                    + n + " elements do not divide into rows of " + known);
        }
        int[] d = dims.clone();
        d[inferred] = (int) (n / known);
        return of(x, Shape.of(d));
    }

    @Override public String name() { return "reshape"; }
    @Override public Node[] vjp(Node y, Node g) { return new Node[] {of(g, y.input(0).shape())}; }
    @Override public Node jvp(Node y, Node[] t) { return of(t[0], y.shape()); }
    @Override public Node batched(Node y, Node[] in, boolean[] stacked, int k) { return of(in[0], y.shape().withLeading(k)); }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        System.arraycopy(in[0], 0, out, 0, out.length);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        return copyOrAlias(y, b);
    }

    /** Copies y's only input into y, or nothing when the planner put them in the same place. */
    static Instruction copyOrAlias(Node y, Buffers b) {
        return Layouts.copyOrAlias(y, b, 0);
    }

    @Override public View view(Node y) { return new View(0, 0); }
    @Override public long flops(Node y) { return 0; }
}

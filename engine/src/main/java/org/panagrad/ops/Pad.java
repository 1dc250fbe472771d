package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.StridedCopy;

import java.util.Arrays;
import java.util.List;

/**
 * x placed among zeros: y has the output's shape, zero everywhere except at {@code starts[a] + i * steps[a]}
 * along every axis a, where it holds x. With steps of 1 it is constant zero padding (numpy.pad's pad_width per
 * axis); in general it is the adjoint of {@link Slice}, whose adjoint it has in turn.
 */
public record Pad(List<Integer> starts, List<Integer> steps) implements Op {
    /** x with before[a] zeros ahead of it and after[a] behind it along each axis a. */
    public static Node of(Node x, int[] before, int[] after) {
        int rank = x.shape().rank();
        if (before.length != rank || after.length != rank) {
            throw new ShapeException("pad of " + x.describe() + ": needs padding before and after each of its " + rank
                    + " axes, got " + Arrays.toString(before) + " and " + Arrays.toString(after));
        }
        int[] dims = new int[rank], steps = new int[rank];
        for (int a = 0; a < rank; a++) {
            if (before[a] < 0 || after[a] < 0) {
                throw new ShapeException("pad of " + x.describe() + ": padding " + Arrays.toString(before) + " and "
                        + Arrays.toString(after) + " must not be negative (slice to cut)");
            }
            dims[a] = before[a] + x.shape().dim(a) + after[a];
            steps[a] = 1;
        }
        return resolved(x, before, steps, Shape.of(dims));
    }

    /** x at the given starts and steps within zeros of shape {@code out} (which x, so placed, must fit). */
    static Node resolved(Node x, int[] starts, int[] steps, Shape out) {
        if (x.shape().equals(out)) return x;
        return x.graph().node(new Pad(Layouts.list(starts), Layouts.list(steps)), out, x.dtype(), x);
    }

    @Override public String name() { return "pad"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Slice.resolved(g, Layouts.toArray(starts), Layouts.toArray(steps), y.input(0).shape().dims())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return resolved(t[0], Layouts.toArray(starts), Layouts.toArray(steps), y.shape());
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Arrays.fill(out, 0);
        Shape x = y.input(0).shape();
        Layouts.copy(x.dims(), in[0], 0, x.strides(), out, Layouts.offset(starts, y.shape()), Layouts.strides(steps, y.shape()));
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0);
        StridedCopy plan = StridedCopy.of(x.shape().dims(), x.shape().strides(), Layouts.strides(steps, y.shape()));
        Instruction place = Layouts.copy(plan, x, 0, y, Layouts.offset(starts, y.shape()), b);
        float[] out = b.array(y);
        int oo = b.offset(y), n = y.shape().numel();
        return () -> {
            Elementwise.fill(n, 0f, out, oo);
            place.run();
        };
    }

    @Override public long flops(Node y) { return 0; }
}

package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.StridedCopy;

import java.util.Arrays;

/**
 * Its inputs one after another along an axis, as torch.cat: every other dimension must agree. The adjoint
 * is the slices of the cotangent that each input occupies.
 */
public record Concat(int axis) implements Op {
    public static Node of(int axis, Node... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("concat needs at least one operand");
        Node first = xs[0];
        int a = Layouts.axis("concat", first, axis);
        int[] dims = first.shape().dims();
        dims[a] = 0;
        for (Node x : xs) {
            boolean fits = x.shape().rank() == dims.length && x.dtype() == first.dtype();
            for (int d = 0; d < dims.length && fits; d++) fits = d == a || x.shape().dim(d) == dims[d];
            if (!fits) {
                throw new ShapeException("concat along axis " + a + " of " + describe(xs) + ": " + x.describe()
                        + " does not match " + first.describe() + " off that axis");
            }
            dims[a] += x.shape().dim(a);
        }
        if (xs.length == 1) return first;
        return first.graph().node(new Concat(a), Shape.of(dims), first.dtype(), xs);
    }

    private static String describe(Node[] xs) {
        StringBuilder sb = new StringBuilder();
        for (Node x : xs) sb.append(sb.length() == 0 ? "" : ", ").append(x.describe());
        return sb.toString();
    }

    @Override public String name() { return "concat"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node[] parts = new Node[y.arity()];
        int[] starts = new int[y.shape().rank()], steps = new int[starts.length];
        Arrays.fill(steps, 1);
        for (int i = 0; i < parts.length; i++) {
            parts[i] = Slice.resolved(g, starts, steps, y.input(i).shape().dims());
            starts[axis] += y.input(i).shape().dim(axis);
        }
        return parts;
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node[] parts = new Node[t.length];
        for (int i = 0; i < t.length; i++) parts[i] = t[i] != null ? t[i] : y.graph().fill(0, y.input(i).shape());
        return of(axis, parts);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int[] strides = y.shape().strides();
        for (int i = 0, at = 0; i < in.length; at += y.input(i).shape().dim(axis), i++) {
            Shape x = y.input(i).shape();
            Layouts.copy(x.dims(), in[i], 0, x.strides(), out, at * strides[axis], strides);
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        int[] strides = y.shape().strides();
        Instruction[] parts = new Instruction[y.arity()];
        for (int i = 0, at = 0; i < parts.length; at += y.input(i).shape().dim(axis), i++) {
            Shape x = y.input(i).shape();
            parts[i] = Layouts.copy(StridedCopy.of(x.dims(), x.strides(), strides), y.input(i), 0, y, at * strides[axis], b);
        }
        return () -> {
            for (Instruction part : parts) part.run();
        };
    }

    @Override public long flops(Node y) { return 0; }
}

package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.graph.View;
import org.panagrad.kernels.StridedCopy;

import java.util.Arrays;
import java.util.List;

/**
 * Along every axis a, the elements {@code starts[a], starts[a] + steps[a], ...} of x, as many as y's dimension a:
 * Python's {@code x[start:stop:step]} per axis. The adjoint puts the cotangent back in place among zeros
 * ({@link Pad}). A slice that is one contiguous run of x (leading rows, or a single index of the leading
 * axes) is a view, as a reshape is.
 */
public record Slice(List<Integer> starts, List<Integer> steps) implements Op {
    /**
     * x[starts[a]:stops[a]:steps[a]] along every axis, with PyTorch's conventions: negative starts and stops count
     * from the end, both are clamped to the axis, steps are positive. An empty result is refused.
     */
    public static Node of(Node x, int[] starts, int[] stops, int[] steps) {
        int rank = x.shape().rank();
        if (starts.length != rank || stops.length != rank || steps.length != rank) {
            throw new ShapeException("slice of " + x.describe() + ": needs a start, a stop and a step for each of its "
                    + rank + " axes, got " + Arrays.toString(starts) + ", " + Arrays.toString(stops) + ", "
                    + Arrays.toString(steps));
        }
        int[] from = new int[rank], counts = new int[rank];
        for (int a = 0; a < rank; a++) {
            int dim = x.shape().dim(a);
            int start = clamp(starts[a] < 0 ? starts[a] + dim : starts[a], dim);
            int stop = clamp(stops[a] < 0 ? stops[a] + dim : stops[a], dim);
            if (steps[a] < 1) {
                throw new ShapeException("slice of " + x.describe() + ": the step along axis " + a + " is " + steps[a]
                        + "; steps must be positive");
            }
            if (stop <= start) {
                throw new ShapeException("slice of " + x.describe() + ": " + starts[a] + ":" + stops[a] + " along axis " + a
                        + " selects nothing");
            }
            from[a] = start;
            counts[a] = (stop - start + steps[a] - 1) / steps[a];
        }
        return resolved(x, from, steps, counts);
    }

    /** x[start:stop:step] along one axis, everything along the others. */
    public static Node along(Node x, int axis, int start, int stop, int step) {
        int a = Layouts.axis("slice", x, axis), rank = x.shape().rank();
        int[] starts = new int[rank], stops = x.shape().dims(), steps = new int[rank];
        Arrays.fill(steps, 1);
        starts[a] = start;
        stops[a] = stop;
        steps[a] = step;
        return of(x, starts, stops, steps);
    }

    private static int clamp(int i, int dim) {
        return Math.max(0, Math.min(dim, i));
    }

    /** The slice with valid starts and steps and the count of elements along each axis. */
    static Node resolved(Node x, int[] starts, int[] steps, int[] counts) {
        if (Arrays.equals(counts, x.shape().dims())) return x;
        return x.graph().node(new Slice(Layouts.list(starts), Layouts.list(steps)), Shape.of(counts), x.dtype(), x);
    }

    @Override public String name() { return "slice"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {Pad.resolved(g, Layouts.toArray(starts), Layouts.toArray(steps), y.input(0).shape())};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return resolved(t[0], Layouts.toArray(starts), Layouts.toArray(steps), y.shape().dims());
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Layouts.copy(y.shape().dims(), in[0], offset(y), strides(y), out, 0, y.shape().strides());
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        View v = view(y);
        if (v != null) return Layouts.copyOrAlias(y, b, v.offset());
        return Layouts.copy(StridedCopy.of(y.shape().dims(), strides(y), y.shape().strides()), y.input(0), offset(y), y, 0, b);
    }

    @Override
    public View view(Node y) {
        return StridedCopy.of(y.shape().dims(), strides(y), y.shape().strides()).isContiguous() ? new View(0, offset(y)) : null;
    }

    /** Where the first selected element sits in x. */
    private int offset(Node y) {
        return Layouts.offset(starts, y.input(0).shape());
    }

    /** The stride in x of a step along each of y's axes. */
    private int[] strides(Node y) {
        return Layouts.strides(steps, y.input(0).shape());
    }

    @Override public long flops(Node y) { return 0; }
}

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
 * The axes of x in another order: y's axis a is x's axis {@code axes[a]}, as torch.permute and
 * numpy.transpose. The kernel is a {@link StridedCopy}: runs of the last axis where it stays last (the
 * attention layouts [B,T,H,d] and [B,H,T,d]), cache-blocked transposes where it moves (NCHW and NHWC). A permute
 * of the last two axes feeding a matmul is not run at all: the compiler folds it into the GEMM's transpose
 * flags. One that moves only axes of length 1 is a view, as a reshape is.
 */
public record Permute(List<Integer> axes) implements Op {
    public static Node of(Node x, int... axes) {
        int rank = x.shape().rank();
        int[] p = new int[axes.length];
        boolean[] seen = new boolean[rank];
        boolean valid = axes.length == rank;
        for (int a = 0; a < axes.length && valid; a++) {
            p[a] = axes[a] < 0 ? axes[a] + rank : axes[a];
            valid = p[a] >= 0 && p[a] < rank && !seen[p[a]];
            if (valid) seen[p[a]] = true;
        }
        if (!valid) {
            throw new ShapeException("permute of " + x.describe() + ": axes " + Arrays.toString(axes)
                    + " are not an order of the " + rank + " axes");
        }
        boolean identity = true;
        int[] dims = new int[rank];
        for (int a = 0; a < rank; a++) {
            dims[a] = x.shape().dim(p[a]);
            identity &= p[a] == a;
        }
        if (identity) return x;
        Integer[] boxed = new Integer[rank];
        for (int a = 0; a < rank; a++) boxed[a] = p[a];
        return x.graph().node(new Permute(List.of(boxed)), Shape.of(dims), x.dtype(), x);
    }

    /** x with axes a and b swapped, as torch.transpose(x, a, b). */
    public static Node swap(Node x, int a, int b) {
        int rank = x.shape().rank();
        a = Layouts.axis("transpose", x, a);
        b = Layouts.axis("transpose", x, b);
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) p[i] = i;
        p[a] = b;
        p[b] = a;
        return of(x, p);
    }

    /** Whether this permute swaps the last two axes and keeps the others: a batched matrix transpose. */
    public boolean swapsLastTwo() {
        int r = axes.size();
        for (int a = 0; a < r - 2; a++) if (axes.get(a) != a) return false;
        return r >= 2 && axes.get(r - 1) == r - 2 && axes.get(r - 2) == r - 1;
    }

    @Override public String name() { return "permute"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        int[] inverse = new int[axes.size()];
        for (int a = 0; a < inverse.length; a++) inverse[axes.get(a)] = a;
        return new Node[] {of(g, inverse)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return of(t[0], Layouts.toArray(axes));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int[] dims = y.shape().dims();
        Layouts.copy(dims, in[0], 0, sourceStrides(y), out, 0, y.shape().strides());
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        if (view(y) != null) return Layouts.copyOrAlias(y, b, 0);
        return Layouts.copy(StridedCopy.of(y.shape().dims(), sourceStrides(y), y.shape().strides()), y.input(0), 0, y, 0, b);
    }

    /** The stride in x of each of y's axes. */
    private int[] sourceStrides(Node y) {
        int[] in = y.input(0).shape().strides(), s = new int[in.length];
        for (int a = 0; a < s.length; a++) s[a] = in[axes.get(a)];
        return s;
    }

    /** A view when the axes longer than 1 keep their order: then nothing moves. */
    @Override
    public View view(Node y) {
        return StridedCopy.of(y.shape().dims(), sourceStrides(y), y.shape().strides()).isContiguous() ? new View(0, 0) : null;
    }

    @Override public long flops(Node y) { return 0; }
}

package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Layout;
import org.panagrad.kernels.StridedCopy;

import java.util.List;

/** What the layout ops share: axis arguments, views, and strided copies in float64 and as instructions. */
final class Layouts {
    private Layouts() {}

    /** An axis in [-rank, rank), negative ones counted from the end as in PyTorch; throws naming the op otherwise. */
    static int axis(String op, Node x, int axis) {
        int rank = x.shape().rank();
        if (axis < -rank || axis >= rank) {
            throw new ShapeException(op + " of " + x.describe() + ": axis " + axis + " is out of range for rank " + rank);
        }
        return axis < 0 ? axis + rank : axis;
    }

    static List<Integer> list(int[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    /** Where element (starts) sits in a dense tensor of shape {@code full}. */
    static int offset(List<Integer> starts, Shape full) {
        int[] strides = full.strides();
        int o = 0;
        for (int a = 0; a < strides.length; a++) o += starts.get(a) * strides[a];
        return o;
    }

    /** The strides, in a dense tensor of shape {@code full}, of a step of {@code steps[a]} along each axis a. */
    static int[] strides(List<Integer> steps, Shape full) {
        int[] s = full.strides();
        for (int a = 0; a < s.length; a++) s[a] *= steps.get(a);
        return s;
    }

    static int[] toArray(List<Integer> values) {
        int[] a = new int[values.size()];
        for (int i = 0; i < a.length; i++) a[i] = values.get(i);
        return a;
    }

    /**
     * Copies y's input {@code 0} from element {@code offset} on into y, or nothing when the planner made y a
     * view there (same array and place).
     */
    static Instruction copyOrAlias(Node y, Buffers b, int offset) {
        Node x = y.input(0);
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x) + offset, oo = b.offset(y), n = y.shape().numel();
        if (xa == out && xo == oo) return null;
        return () -> System.arraycopy(xa, xo, out, oo, n);
    }

    /** The instruction copying {@code plan}'s index space from x (from element srcOffset on) to y (from dstOffset). */
    static Instruction copy(StridedCopy plan, Node x, int srcOffset, Node y, int dstOffset, Buffers b) {
        float[] xa = b.array(x), out = b.array(y);
        int xo = b.offset(x) + srcOffset, oo = b.offset(y) + dstOffset;
        return () -> Layout.copy(plan, xa, xo, out, oo);
    }

    /** The float64 twin of {@link Layout#copy}: dst[d + sum i_a dstStrides_a] = src[s + sum i_a srcStrides_a]. */
    static void copy(int[] dims, double[] src, int s, int[] srcStrides, double[] dst, int d, int[] dstStrides) {
        int[] idx = new int[dims.length];
        int n = 1;
        for (int dim : dims) n *= dim;
        for (int e = 0; e < n; e++) {
            int si = s, di = d;
            for (int a = 0; a < dims.length; a++) {
                si += idx[a] * srcStrides[a];
                di += idx[a] * dstStrides[a];
            }
            dst[di] = src[si];
            for (int a = dims.length - 1; a >= 0 && ++idx[a] == dims[a]; a--) idx[a] = 0;
        }
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Axis;

import java.util.ArrayList;
import java.util.List;

/**
 * Sets of axes as bit masks (bit i for axis i; ranks stop at 8), and how a tensor that lacks, or has size 1
 * along, some axes of a full shape lines up with it. A reduction over those axes, the expansion back and a
 * broadcast operand all read it the same way: row-major over the other axes.
 */
final class Axes {
    private Axes() {}

    /** Every axis of a rank. */
    static int all(int rank) {
        return (1 << rank) - 1;
    }

    /** The mask of the given axes of x (negative ones count from the end, as in NumPy), each at most once. */
    static int mask(String op, Node x, int... axes) {
        int mask = 0;
        for (int a : axes) {
            int axis = normalize(op, x, a);
            if ((mask & (1 << axis)) != 0) throw new ShapeException(op + " of " + x.describe() + ": axis " + a + " given twice");
            mask |= 1 << axis;
        }
        return mask;
    }

    /** A non-negative axis of x for axis (negative counts from the end), or a ShapeException naming the op. */
    static int normalize(String op, Node x, int axis) {
        int rank = x.shape().rank();
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new ShapeException(op + " of " + x.describe() + ": axis " + axis + " is out of range for rank " + rank);
        }
        return a;
    }

    static boolean has(int mask, int axis) {
        return (mask & (1 << axis)) != 0;
    }

    /** The shape left when the masked axes are reduced: removed, or kept with size 1. */
    static Shape reduced(Shape s, int mask, boolean keepDims) {
        List<Integer> dims = new ArrayList<>();
        for (int a = 0; a < s.rank(); a++) {
            if (!has(mask, a)) dims.add(s.dim(a));
            else if (keepDims) dims.add(1);
        }
        return Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Elements of full left along the axes not in mask. */
    static int kept(Shape full, int mask) {
        int n = 1;
        for (int a = 0; a < full.rank(); a++) if (!has(mask, a)) n *= full.dim(a);
        return n;
    }

    /**
     * For each axis of full, the element stride along it of a tensor row-major over full's other axes (the
     * unmasked ones): 0 along the masked axes.
     */
    static int[] strides(Shape full, int mask) {
        int[] s = new int[full.rank()];
        int step = 1;
        for (int a = full.rank() - 1; a >= 0; a--) {
            if (has(mask, a)) continue;
            s[a] = step;
            step *= full.dim(a);
        }
        return s;
    }

    /**
     * For each element of full, in row-major order, the index of the element it reads in a tensor row-major
     * over full's unmasked axes: what a sum over the masked axes adds it into, or what an expansion copies.
     * For the reference interpreter: plain and obviously right.
     */
    static int[] index(Shape full, int mask) {
        int[] strides = strides(full, mask), dims = full.dims();
        int[] idx = new int[full.numel()];
        int[] at = new int[dims.length];
        for (int i = 0; i < idx.length; i++) {
            int k = 0;
            for (int a = 0; a < dims.length; a++) k += at[a] * strides[a];
            idx[i] = k;
            for (int a = dims.length - 1; a >= 0; a--) { // the next multi-index, last axis fastest
                if (++at[a] < dims[a]) break;
                at[a] = 0;
            }
        }
        return idx;
    }

    /** A shape seen along one of its axes, as [outer, length, inner], for kernels working along that axis. */
    static Axis along(Shape s, int axis) {
        int outer = 1, inner = 1;
        for (int a = 0; a < axis; a++) outer *= s.dim(a);
        for (int a = axis + 1; a < s.rank(); a++) inner *= s.dim(a);
        return new Axis(outer, s.dim(axis), inner);
    }
}

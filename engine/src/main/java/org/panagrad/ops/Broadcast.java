package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

/**
 * NumPy's broadcasting rule for shapes of rank at most 2: align trailing dimensions; each pair must be equal
 * or contain a 1. Kernels see an operand as a matrix with a row stride and a column stride, 0 where it repeats.
 */
final class Broadcast {
    private Broadcast() {}

    static Shape shape(String op, Node a, Node b) {
        int rank = Math.max(a.shape().rank(), b.shape().rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = dimFromEnd(a.shape(), rank - 1 - i), db = dimFromEnd(b.shape(), rank - 1 - i);
            if (da != db && da != 1 && db != 1) {
                throw ShapeException.of(op, a, b, "shapes do not broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = Math.max(da, db);
        }
        return Shape.of(out);
    }

    private static int dimFromEnd(Shape s, int fromEnd) {
        int i = s.rank() - 1 - fromEnd;
        return i >= 0 ? s.dim(i) : 1;
    }

    /** Row stride of operand {@code s} inside an output of shape {@code out}: 0 where its rows repeat. */
    static int rowStride(Shape s, Shape out) {
        return s.rows() == 1 && out.rows() > 1 ? 0 : s.cols();
    }

    /** Column stride of operand {@code s} inside an output of shape {@code out}: 0 where its columns repeat. */
    static int colStride(Shape s, Shape out) {
        return s.cols() == 1 && out.cols() > 1 ? 0 : 1;
    }

    /** The cotangent g of a broadcast result, summed back to the operand's shape. */
    static Node sumTo(Node g, Shape target) {
        if (g.shape().equals(target)) return g;
        boolean rows = target.rows() == 1 && g.shape().rows() > 1;
        boolean cols = target.cols() == 1 && g.shape().cols() > 1;
        if (!rows && !cols) return Reshape.of(g, target);
        return Sum.of(g, rows, cols, target);
    }

    /** x repeated to the shape target (x broadcasts to it). */
    static Node expandTo(Node x, Shape target) {
        if (x.shape().equals(target)) return x;
        boolean rows = x.shape().rows() == 1 && target.rows() > 1;
        boolean cols = x.shape().cols() == 1 && target.cols() > 1;
        if (!rows && !cols) return Reshape.of(x, target);
        return Expand.of(x, rows, cols, target);
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Strided;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * NumPy's broadcasting rule over any rank: align trailing dimensions; each must be equal or 1; missing leading
 * dimensions count as 1. An operand repeats along the output axes where it is missing or has size 1, which
 * kernels read with stride 0 rather than materialising the repetition.
 */
final class Broadcast {
    private Broadcast() {}

    /** The broadcast shape of the operands, or a ShapeException naming the op, every operand and the axis. */
    static Shape shape(String op, Node... operands) {
        int rank = 0;
        for (Node x : operands) rank = Math.max(rank, x.shape().rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int d = 1;
            for (Node x : operands) {
                int di = dim(x.shape(), i - (rank - x.shape().rank()));
                if (di == 1) continue;
                if (d != 1 && d != di) {
                    int axis = i, r = rank;
                    String dims = Arrays.stream(operands).map(n -> String.valueOf(dim(n.shape(), axis - (r - n.shape().rank()))))
                            .collect(Collectors.joining(" vs "));
                    String why = "shapes do not broadcast (dimension " + i + " of the result: " + dims + ")";
                    if (operands.length == 2) throw ShapeException.of(op, operands[0], operands[1], why);
                    throw new ShapeException(op + " of " + Arrays.stream(operands).map(Node::describe)
                            .collect(Collectors.joining(", ")) + ": " + why);
                }
                d = di;
            }
            out[i] = d;
        }
        return Shape.of(out);
    }

    private static int dim(Shape s, int axis) {
        return axis >= 0 ? s.dim(axis) : 1;
    }

    /** Whether s broadcasts to out: at most out's rank, and each dimension equal to out's or 1. */
    static boolean broadcastsTo(Shape s, Shape out) {
        int lead = out.rank() - s.rank();
        if (lead < 0) return false;
        for (int a = 0; a < s.rank(); a++) if (s.dim(a) != 1 && s.dim(a) != out.dim(a + lead)) return false;
        return true;
    }

    /** The axes of out along which an operand of shape s repeats: missing, or of size 1 where out is larger. */
    static int axes(Shape s, Shape out) {
        int mask = 0, lead = out.rank() - s.rank();
        for (int a = 0; a < out.rank(); a++) {
            if (out.dim(a) > 1 && dim(s, a - lead) == 1) mask |= 1 << a;
        }
        return mask;
    }

    /** The index space of an op that writes out and reads the operands with broadcasting. */
    static Strided layout(Shape out, Shape... operands) {
        int[][] strides = new int[operands.length][];
        for (int k = 0; k < operands.length; k++) strides[k] = Axes.strides(out, axes(operands[k], out));
        return Strided.elementwise(out.dims(), strides);
    }

    /** For each element of out, the element of an operand of shape s it reads: for the reference interpreter. */
    static int[] index(Shape s, Shape out) {
        return Axes.index(out, axes(s, out));
    }

    /** The cotangent g of a broadcast result, summed over exactly the axes along which target repeated. */
    static Node sumTo(Node g, Shape target) {
        int mask = axes(target, g.shape());
        return mask == 0 ? Reshape.of(g, target) : Sum.of(g, mask, target);
    }

    /** x repeated to the shape target, which it broadcasts to. */
    static Node expandTo(Node x, Shape target) {
        int mask = axes(x.shape(), target);
        return mask == 0 ? Reshape.of(x, target) : Expand.of(x, mask, target);
    }

    /**
     * Operands of a broadcasting op under a batching rule ({@link org.panagrad.graph.Op#batched}) whose result has
     * {@code rank} axes before stacking: a stack [k] + s gets 1s after its leading axis up to rank + 1 axes, so
     * that its entries meet the other stacks' and broadcast against the unstacked operands as before.
     */
    static Node[] stackedOperands(Node[] inputs, boolean[] stacked, int rank) {
        Node[] out = inputs.clone();
        for (int i = 0; i < out.length; i++) {
            Shape s = inputs[i].shape();
            if (!stacked[i] || s.rank() == rank + 1) continue;
            int[] dims = new int[rank + 1];
            Arrays.fill(dims, 1);
            dims[0] = s.dim(0);
            for (int a = 1; a < s.rank(); a++) dims[rank + 1 - (s.rank() - a)] = s.dim(a);
            out[i] = Reshape.of(inputs[i], Shape.of(dims));
        }
        return out;
    }
}

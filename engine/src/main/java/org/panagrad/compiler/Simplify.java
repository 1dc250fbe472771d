package org.panagrad.compiler;

import org.panagrad.graph.Fill;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.ops.Add;
import org.panagrad.ops.BroadcastBinary;
import org.panagrad.ops.Div;
import org.panagrad.ops.Expand;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Neg;
import org.panagrad.ops.Permute;
import org.panagrad.ops.Scale;
import org.panagrad.ops.StopGradient;
import org.panagrad.ops.Sub;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Algebraic simplification, as a table of small rules keyed by op (tinygrad's pattern matchers are the model):
 * x*1, 1*x, x+0, 0+x, x-0, x/1 become x; x*0 becomes zeros; scales fold together; stop_gradient, whose only work
 * is done by then, becomes the identity; an operand expanded only to meet a broadcasting op is read unexpanded
 * ({@link BroadcastBinary#readUnexpanded}); a matmul reads a swap of the last two axes of an operand through its
 * transpose flag rather than have it copied; zero paddings side by side along an axis add up as one padding of
 * their concatenation ({@link AdjacentPads}). Derivatives are full of these: the seed of every gradient is a 1.
 * A rule returns its node unchanged when it does not apply, and never changes a node's shape.
 */
final class Simplify {
    private Simplify() {}

    private static final Map<Class<? extends Op>, UnaryOperator<Node>> RULES = Map.of(
            StopGradient.class, n -> n.input(0),
            Scale.class, Simplify::scale,
            Neg.class, Simplify::neg,
            Expand.class, n -> n.input(0).op() instanceof Fill ? fill(n, value(n.input(0))) : n,
            Mul.class, Simplify::mul,
            Add.class, n -> isFill(n, 1, 0) ? n.input(0) : isFill(n, 0, 0) ? n.input(1) : AdjacentPads.merge(n),
            Sub.class, n -> isFill(n, 1, 0) ? n.input(0) : isFill(n, 0, 0) ? simplify(Neg.of(n.input(1))) : n,
            Div.class, n -> isFill(n, 1, 1) ? n.input(0) : n,
            MatMul.class, Simplify::absorbTransposes);

    static List<Node> run(List<Node> outputs) {
        return Rewrite.apply(outputs, (original, n) -> simplify(n));
    }

    private static Node simplify(Node n) {
        if (n.op() instanceof BroadcastBinary) {
            Node folded = BroadcastBinary.readUnexpanded(n);
            if (folded != n) return simplify(folded);
        }
        UnaryOperator<Node> rule = RULES.get(n.op().getClass());
        return rule == null ? n : rule.apply(n);
    }

    /** matmul(transpose(a), b) as matmul(a, b, transA = true) and likewise for b: the GEMM packs either way. */
    private static Node absorbTransposes(Node n) {
        MatMul mm = (MatMul) n.op();
        Node a = n.input(0), b = n.input(1);
        boolean swapA = swapsLastTwo(a), swapB = swapsLastTwo(b);
        if (!swapA && !swapB) return n;
        return MatMul.of(swapA ? a.input(0) : a, swapB ? b.input(0) : b, mm.transA() ^ swapA, mm.transB() ^ swapB);
    }

    private static boolean swapsLastTwo(Node x) {
        return x.op() instanceof Permute && ((Permute) x.op()).swapsLastTwo();
    }

    private static Node scale(Node n) {
        double c = ((Scale) n.op()).c();
        Node x = n.input(0);
        if (c == 1) return x;
        if (c == 0) return fill(n, 0);
        if (x.op() instanceof Scale) return simplify(Scale.of(x.input(0), c * ((Scale) x.op()).c()));
        if (x.op() instanceof Fill) return fill(n, c * value(x));
        return n;
    }

    private static Node neg(Node n) {
        Node x = n.input(0);
        if (x.op() instanceof Neg) return x.input(0);
        if (x.op() instanceof Fill) return fill(n, -value(x));
        return n;
    }

    private static Node mul(Node n) {
        Node a = n.input(0), b = n.input(1);
        if (Fill.isFill(a, 0) || Fill.isFill(b, 0)) return fill(n, 0);
        for (int side = 0; side < 2; side++) {
            Node other = n.input(1 - side), constant = n.input(side);
            if (constant.op() instanceof Fill && other.shape().equals(n.shape())) {
                return value(constant) == 1 ? other : simplify(Scale.of(other, value(constant)));
            }
        }
        return n;
    }

    /** Whether input {@code side} of n is a fill of {@code value} and the other input already has n's shape. */
    private static boolean isFill(Node n, int side, double value) {
        return Fill.isFill(n.input(side), value) && n.input(1 - side).shape().equals(n.shape());
    }

    private static double value(Node fill) {
        return ((Fill) fill.op()).value();
    }

    private static Node fill(Node n, double value) {
        return n.graph().fill(value, n.shape());
    }
}

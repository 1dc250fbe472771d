package org.panagrad.compiler;

import org.panagrad.graph.Fill;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Add;
import org.panagrad.ops.BroadcastBinary;
import org.panagrad.ops.Div;
import org.panagrad.ops.Expand;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Neg;
import org.panagrad.ops.Scale;
import org.panagrad.ops.StopGradient;
import org.panagrad.ops.Sub;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Algebraic simplification, as a table of small rules keyed by op (tinygrad's pattern matchers are the model):
 * x*1, 1*x, x+0, 0+x, x-0, x/1 become x; x*0 becomes zeros; scales fold together; stop_gradient, whose only work
 * is done by then, becomes the identity. Derivatives are full of these: the seed of every gradient is a 1.
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
            Add.class, n -> isFill(n, 1, 0) ? n.input(0) : isFill(n, 0, 0) ? n.input(1) : n,
            Sub.class, n -> isFill(n, 1, 0) ? n.input(0) : isFill(n, 0, 0) ? simplify(Neg.of(n.input(1))) : n,
            Div.class, n -> isFill(n, 1, 1) ? n.input(0) : n);

    static List<Node> run(List<Node> outputs) {
        return Rewrite.apply(outputs, (original, n) -> simplify(n));
    }

    private static Node simplify(Node n) {
        if (n.op() instanceof BroadcastBinary) {
            Node folded = foldExpand(n);
            if (folded != n) return simplify(folded);
        }
        UnaryOperator<Node> rule = RULES.get(n.op().getClass());
        return rule == null ? n : rule.apply(n);
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

    /**
     * A binary op broadcasts by itself: an operand that was expanded only to match is read unexpanded, which
     * saves a pass and lets a bias add fuse into its GEMM (JVPs of bias adds produce these).
     */
    private static Node foldExpand(Node n) {
        Node[] ins = {n.input(0), n.input(1)};
        boolean changed = false;
        for (int i = 0; i < 2; i++) {
            if (!(ins[i].op() instanceof Expand) || !ins[i].shape().equals(n.shape())) continue;
            Expand e = (Expand) ins[i].op();
            Node small = ins[i].input(0);
            Shape out = n.shape();
            // Only when the broadcasting rule reads the small operand the way the expansion repeated it.
            if (small.shape().rows() == (e.rows() ? 1 : out.rows()) && small.shape().cols() == (e.cols() ? 1 : out.cols())
                    && small.shape().rank() <= out.rank()) {
                ins[i] = small;
                changed = true;
            }
        }
        return changed ? n.graph().node(n.op(), n.shape(), n.dtype(), ins) : n;
    }

    private static double value(Node fill) {
        return ((Fill) fill.op()).value();
    }

    private static Node fill(Node n, double value) {
        return n.graph().fill(value, n.shape());
    }
}

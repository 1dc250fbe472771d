package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.ops.Add;
import org.panagrad.ops.BroadcastBinary;
import org.panagrad.ops.Div;
import org.panagrad.ops.Expand;
import org.panagrad.graph.Fill;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Neg;
import org.panagrad.ops.Scale;
import org.panagrad.ops.StopGradient;
import org.panagrad.ops.Sub;

import java.util.List;

/**
 * Algebraic simplification: x*1, 1*x, x+0, 0+x, x-0, x/1 become x; x*0 becomes zeros; scales fold together;
 * stop_gradient, whose only work is done by then, becomes the identity. Derivatives are full of these:
 * the seed of every gradient is a 1. Rewrites never change a node's shape.
 */
final class Simplify {
    private Simplify() {}

    static List<Node> run(List<Node> outputs) {
        return Rewrite.apply(outputs, (original, n) -> simplify(n));
    }

    private static Node simplify(Node n) {
        Op op = n.op();
        if (op instanceof StopGradient) return n.input(0);
        if (op instanceof Scale) {
            double c = ((Scale) op).c();
            Node x = n.input(0);
            if (c == 1) return x;
            if (c == 0) return zeros(n);
            if (x.op() instanceof Scale) return simplify(Scale.of(x.input(0), c * ((Scale) x.op()).c()));
            if (x.op() instanceof Fill) return n.graph().fill(c * ((Fill) x.op()).value(), n.shape());
            return n;
        }
        if (op instanceof Neg) {
            Node x = n.input(0);
            if (x.op() instanceof Neg) return x.input(0);
            if (x.op() instanceof Fill) return n.graph().fill(-((Fill) x.op()).value(), n.shape());
            return n;
        }
        if (op instanceof Expand && n.input(0).op() instanceof Fill) {
            return n.graph().fill(((Fill) n.input(0).op()).value(), n.shape());
        }
        if (n.arity() != 2) return n;
        if (op instanceof BroadcastBinary) {
            Node folded = foldExpand(n);
            if (folded != n) return simplify(folded);
        }
        Node a = n.input(0), b = n.input(1);
        boolean keepsA = a.shape().equals(n.shape()), keepsB = b.shape().equals(n.shape());
        if (op instanceof Mul) {
            if (Fill.isFill(a, 0) || Fill.isFill(b, 0)) return zeros(n);
            if (Fill.isFill(b, 1) && keepsA) return a;
            if (Fill.isFill(a, 1) && keepsB) return b;
            if (b.op() instanceof Fill && keepsA) return simplify(Scale.of(a, ((Fill) b.op()).value()));
            if (a.op() instanceof Fill && keepsB) return simplify(Scale.of(b, ((Fill) a.op()).value()));
        } else if (op instanceof Add) {
            if (Fill.isFill(b, 0) && keepsA) return a;
            if (Fill.isFill(a, 0) && keepsB) return b;
        } else if (op instanceof Sub) {
            if (Fill.isFill(b, 0) && keepsA) return a;
            if (Fill.isFill(a, 0) && keepsB) return simplify(Neg.of(b));
        } else if (op instanceof Div) {
            if (Fill.isFill(b, 1) && keepsA) return a;
        }
        return n;
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

    private static Node zeros(Node n) {
        return n.graph().fill(0, n.shape());
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.AttentionDims;
import org.panagrad.kernels.AttentionMaskLayout;

import java.util.Arrays;

/**
 * The gradients of a fused {@link Attention}'s queries, keys and values from its output's gradient g, as one
 * instruction ({@link org.panagrad.kernels.Attention#backward}): inputs (q, k, v, g) or (q, k, v, g, mask), output
 * the flat [numel(q) + numel(k) + numel(v)] holding dq, dk and dv one after another, which {@link #split} reads
 * through views. With P = softmax(scale Q K^T + mask), dP = g V^T and dS = P (dP - rowsum(P dP)), it computes
 * dq = scale dS K, dk = scale dS^T Q and dv = P^T g. Its own derivatives are graph ops over the composed
 * probabilities ({@link Attention#probabilities}), so an HVP through a fused attention stays exact; its VJP and
 * (without a mask tangent) its JVP run as one fused instruction too ({@link AttentionGradVjp}, which carries those
 * graph ops as its derivatives), so reverse over reverse and forward over reverse both run the fused kernels.
 */
public record AttentionGrad(double scale, boolean causal, boolean additive) implements Op {
    /** dq, dk and dv of the fused attention y (inputs q, k, v[, mask]) for its output's gradient g. */
    static Node[] of(Node y, Node g) {
        Node q = y.input(0), k = y.input(1), v = y.input(2);
        return split(flat(y, g), q.shape(), k.shape(), v.shape());
    }

    /** The op's node for the fused attention y and its output's gradient g: dq, dk and dv as one vector. */
    static Node flat(Node y, Node g) {
        Attention a = (Attention) y.op();
        Node q = y.input(0), k = y.input(1), v = y.input(2);
        Shape n = Shape.of(q.shape().numel() + k.shape().numel() + v.shape().numel());
        AttentionGrad op = new AttentionGrad(a.scale(), a.causal(), a.additive());
        AttentionDims dims = Attention.dims(y, a.scale(), a.causal());
        Attention.requireWorkspace("attention_grad", q, dims::backwardWorkspace);
        return y.arity() > 3 ? y.graph().node(op, n, q, k, v, g, y.input(3)) : y.graph().node(op, n, q, k, v, g);
    }

    /** The parts of a flat [sum of numel(shapes)] as views of those shapes, one after another. */
    private static Node[] split(Node all, Shape... shapes) {
        Node[] parts = new Node[shapes.length];
        for (int i = 0, at = 0; i < shapes.length; at += shapes[i].numel(), i++) {
            parts[i] = Reshape.of(Slice.along(all, 0, at, at + shapes[i].numel(), 1), shapes[i]);
        }
        return parts;
    }

    @Override public String name() { return "attention_grad"; }

    /** The same vector as the fused node {@code y} (of this op), from graph ops over the composed probabilities. */
    public Node composedFor(Node y) {
        Node q = y.input(0), k = y.input(1), g = y.input(3);
        Parts f = Parts.of(this, y);
        return Concat.of(0, vector(Scale.of(MatMul.of(f.ds(), k, false, false), scale), q),
                vector(Scale.of(MatMul.of(f.ds(), q, true, false), scale), k), vector(MatMul.of(f.p(), g, true, false), y.input(2)));
    }

    private AttentionMask mask(Node y) {
        return new AttentionMask(y.arity() > 4 ? y.input(4) : null, additive, causal);
    }

    /** The composed quantities both derivative rules start from. */
    private record Parts(Node p, Node dp, Node rowDot, Node ds, int axis) {
        static Parts of(AttentionGrad op, Node y) {
            Node q = y.input(0), k = y.input(1), v = y.input(2), g = y.input(3);
            Node p = Attention.probabilities(q, k, op.mask(y), op.scale);
            int axis = p.shape().rank() - 1;
            Node dp = MatMul.of(g, v, false, true), rowDot = Softmax.sumAlong(Mul.of(p, dp), axis);
            return new Parts(p, dp, rowDot, Mul.of(p, Sub.of(dp, rowDot)), axis);
        }
    }

    /**
     * The fused backward y's VJP for its cotangent a: qBar, kBar, vBar and gBar from one fused instruction
     * ({@link AttentionGradVjp}) carrying the graph ops below as its derivatives; an additive mask's cotangent from
     * those graph ops (dead code where the mask is a constant).
     */
    @Override
    public Node[] vjp(Node y, Node a) {
        Node[] composed = composedVjp(y, a);
        Node[] bars = split(secondOrder(y, a, composed, true), y.input(0).shape(), y.input(1).shape(),
                y.input(2).shape(), y.input(3).shape());
        if (y.arity() == 4) return bars;
        return new Node[] {bars[0], bars[1], bars[2], bars[3], additive ? Broadcast.sumTo(composed[4], y.input(4).shape()) : null};
    }

    /**
     * The fused backward y's VJP for its cotangent a as one vector qBar | kBar | vBar | gBar, or qBar | kBar | vBar
     * without {@code gBar} ({@link AttentionGradVjp}).
     */
    static Node secondOrder(Node y, Node a, boolean gBar) {
        return secondOrder(y, a, ((AttentionGrad) y.op()).composedVjp(y, a), gBar);
    }

    private static Node secondOrder(Node y, Node a, Node[] composed, boolean gBar) {
        Node[] bars = new Node[gBar ? 4 : 3];
        for (int i = 0; i < bars.length; i++) bars[i] = vector(composed[i], y.input(i));
        return AttentionGradVjp.of(y, a, Concat.of(0, bars), gBar);
    }

    /**
     * The VJP as graph ops over the composed probabilities: qBar, kBar, vBar, gBar and the score cotangent sBar. The
     * value of the fused second order ({@link AttentionGradVjp}), so it first checks that one fits its workspace.
     */
    private Node[] composedVjp(Node y, Node a) {
        Attention.requireWorkspace("attention_grad_vjp", y.input(0), Attention.dims(y, scale, causal)::secondOrderWorkspace);
        Node q = y.input(0), k = y.input(1), v = y.input(2), g = y.input(3);
        Node[] parts = split(a, q.shape(), k.shape(), v.shape());
        Node aq = parts[0], ak = parts[1], av = parts[2];
        Parts f = Parts.of(this, y);
        // Through dq = scale dS K, dk = scale dS^T Q and dv = P^T g.
        Node dsBar = Scale.of(Add.of(MatMul.of(aq, k, false, true), MatMul.of(q, ak, false, true)), scale);
        Node qBar = Scale.of(MatMul.of(f.ds(), ak, false, false), scale);
        Node kBar = Scale.of(MatMul.of(f.ds(), aq, true, false), scale);
        Node pBar = MatMul.of(g, av, false, true), gBar = MatMul.of(f.p(), av, false, false);
        // Through dS = P (dP - rowsum(P dP)).
        pBar = Add.of(pBar, Sub.of(Mul.of(dsBar, Sub.of(f.dp(), f.rowDot())),
                Mul.of(Softmax.sumAlong(Mul.of(f.p(), dsBar), f.axis()), f.dp())));
        Node dpBar = Softmax.jacobianTimes(f.p(), dsBar, f.axis());
        gBar = Add.of(gBar, MatMul.of(dpBar, v, false, false));
        Node vBar = MatMul.of(dpBar, g, true, false);
        // Through P = softmax(scale Q K^T + mask).
        Node sBar = Softmax.jacobianTimes(f.p(), pBar, f.axis());
        qBar = Add.of(qBar, Scale.of(MatMul.of(sBar, k, false, false), scale));
        kBar = Add.of(kBar, Scale.of(MatMul.of(sBar, q, true, false), scale));
        return new Node[] {qBar, kBar, vBar, gBar, sBar};
    }

    /**
     * The tangent of dq | dk | dv along the inputs' tangents t, as one fused instruction where t has no mask tangent:
     * the backward is the gradient of sum(g * attention(q, k, v)), so by the symmetry of second derivatives its
     * tangent along (tq, tk, tv) is its VJP for the cotangent (tq, tk, tv) ({@link AttentionGradVjp}'s qBar | kBar |
     * vBar, a composite carrying {@link #composedJvp}'s equal function as its derivatives; its gBar, the forward's
     * tangent, is not computed), plus, the backward being linear in g, the backward of g's tangent. Forward over
     * reverse through attention thus runs the same kernels as reverse over reverse.
     */
    @Override
    public Node jvp(Node y, Node[] t) {
        boolean maskTangent = y.arity() > 4 && additive && t[4] != null;
        if (maskTangent || t[0] == null && t[1] == null && t[2] == null) return composedJvp(y, t);
        Node q = y.input(0), k = y.input(1), v = y.input(2), g = y.input(3);
        Node a = Concat.of(0, vector(t[0], q), vector(t[1], k), vector(t[2], v));
        Node tangent = secondOrder(y, a, composedVjp(y, a), false);
        if (t[3] == null) return tangent;
        Node[] in = new Node[y.arity()];
        for (int i = 0; i < in.length; i++) in[i] = i == 3 ? t[3] : y.input(i);
        return Add.of(tangent, y.graph().node(this, y.shape(), in));
    }

    /** {@link #jvp} as graph ops over the composed probabilities (with a mask's tangent too). */
    private Node composedJvp(Node y, Node[] t) {
        Node q = y.input(0), k = y.input(1), v = y.input(2), g = y.input(3);
        Parts f = Parts.of(this, y);
        Node ts = null;
        if (t[0] != null) ts = MatMul.of(t[0], k, false, true);
        if (t[1] != null) ts = Tangents.add(ts, MatMul.of(q, t[1], false, true));
        if (ts != null) ts = Scale.of(ts, scale);
        if (y.arity() > 4 && additive && t[4] != null) ts = Tangents.add(ts, Broadcast.expandTo(t[4], f.p().shape()));
        Node tp = ts == null ? null : Softmax.jacobianTimes(f.p(), ts, f.axis());
        Node tdp = t[3] == null ? null : MatMul.of(t[3], v, false, true);
        if (t[2] != null) tdp = Tangents.add(tdp, MatMul.of(g, t[2], false, true));
        // dS' = P' (dP - D) + P (dP' - D') with D' = rowsum(P' dP + P dP').
        Node tds = null, tRowDot = null;
        if (tp != null) {
            tds = Mul.of(tp, Sub.of(f.dp(), f.rowDot()));
            tRowDot = Softmax.sumAlong(Mul.of(tp, f.dp()), f.axis());
        }
        if (tdp != null) tRowDot = Tangents.add(tRowDot, Softmax.sumAlong(Mul.of(f.p(), tdp), f.axis()));
        if (tRowDot != null) tds = Tangents.add(tds, Mul.of(f.p(), tdp == null ? Neg.of(tRowDot) : Sub.of(tdp, tRowDot)));
        Node tdq = null, tdk = null, tdv = null;
        if (tds != null) {
            tdq = MatMul.of(tds, k, false, false);
            tdk = MatMul.of(tds, q, true, false);
        }
        if (t[1] != null) tdq = Tangents.add(tdq, MatMul.of(f.ds(), t[1], false, false));
        if (t[0] != null) tdk = Tangents.add(tdk, MatMul.of(f.ds(), t[0], true, false));
        if (tp != null) tdv = MatMul.of(tp, g, true, false);
        if (t[3] != null) tdv = Tangents.add(tdv, MatMul.of(f.p(), t[3], true, false));
        if (tdq == null && tdk == null && tdv == null) return null;
        return Concat.of(0, vector(tdq == null ? null : Scale.of(tdq, scale), q),
                vector(tdk == null ? null : Scale.of(tdk, scale), k), vector(tdv, v));
    }

    /** x (of like's shape) as a vector, zeros for null. */
    private static Node vector(Node x, Node like) {
        Shape s = Shape.of(like.shape().numel());
        return x == null ? like.graph().fill(0, s) : Reshape.of(x, s);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        AttentionDims a = Attention.dims(y, scale, causal);
        Attention.ReferenceMask mask = Attention.ReferenceMask.of(y, 4, in, additive);
        int tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv(), dk = a.batch() * tq * d, dvAt = dk + a.batch() * tk * d;
        double[] p = new double[tk], dp = new double[tk];
        Arrays.fill(out, 0);
        for (int b = 0; b < a.batch(); b++) {
            for (int i = 0; i < tq; i++) {
                Attention.probabilities(a, scale, in, mask, b, i, p);
                double rowDot = 0;
                for (int j = 0; j < tk; j++) {
                    double x = 0;
                    for (int c = 0; c < dv; c++) x += in[3][(b * tq + i) * dv + c] * in[2][(b * tk + j) * dv + c];
                    dp[j] = x;
                    rowDot += p[j] * x;
                }
                for (int j = 0; j < tk; j++) {
                    double ds = scale * p[j] * (dp[j] - rowDot);
                    for (int c = 0; c < d; c++) {
                        out[(b * tq + i) * d + c] += ds * in[1][(b * tk + j) * d + c];
                        out[dk + (b * tk + j) * d + c] += ds * in[0][(b * tq + i) * d + c];
                    }
                    for (int c = 0; c < dv; c++) out[dvAt + (b * tk + j) * dv + c] += p[j] * in[3][(b * tq + i) * dv + c];
                }
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        AttentionDims a = Attention.dims(y, scale, causal);
        Node q = y.input(0), k = y.input(1), v = y.input(2), g = y.input(3);
        float[] qa = b.array(q), ka = b.array(k), va = b.array(v), ga = b.array(g), out = b.array(y);
        int qo = b.offset(q), ko = b.offset(k), vo = b.offset(v), go = b.offset(g), oo = b.offset(y);
        int dk = oo + q.shape().numel(), dv = dk + k.shape().numel();
        AttentionMaskLayout m = Attention.maskLayout(y, 4, b, additive);
        return () -> org.panagrad.kernels.Attention.backward(a, m, qa, qo, ka, ko, va, vo, ga, go, out, oo, dk, dv);
    }

    @Override
    public long flops(Node y) {
        AttentionDims a = Attention.dims(y, scale, causal);
        return 2L * a.batch() * a.tq() * a.tk() * (3L * a.d() + 2L * a.dv()) + 8L * a.batch() * a.tq() * a.tk();
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.kernels.AttentionDims;
import org.panagrad.kernels.AttentionMaskLayout;

import java.util.Arrays;

/**
 * The VJP of a fused attention's backward ({@link AttentionGrad}) as one instruction
 * ({@link org.panagrad.kernels.Attention#secondOrder}), the second order an HVP through attention runs: inputs
 * (q, k, v, g, a[, mask][, composed]) with a the cotangent of the backward's flat (dq | dk | dv); output the flat
 * qBar | kBar | vBar | gBar, or without {@code gBar} only qBar | kBar | vBar (all forward over reverse reads; the
 * kernel then skips gBar's two products). A graph holds it as a composite: its last input is the same vector built
 * from graph ops ({@link AttentionGrad}'s VJP over the composed probabilities), and its own VJP and JVP are that
 * input's, so derivatives of every order stay exact. Compiling replaces the composite by the kernel's node without that input
 * (or, at head dims where composed attention is faster, by the composed input itself; {@code AttentionLowering}),
 * so the composed graph is never run; a compiled node without it is not differentiated again.
 */
public record AttentionGradVjp(double scale, boolean causal, boolean additive, boolean masked, boolean gBar,
                               boolean composite) implements Op {
    /**
     * The composite node for the fused backward {@code grad}, its cotangent {@code a} and its composed value
     * (qBar | kBar | vBar, and gBar if {@code gBar}).
     */
    static Node of(Node grad, Node a, Node composed, boolean gBar) {
        AttentionGrad op = (AttentionGrad) grad.op();
        boolean masked = grad.arity() > 4;
        Node[] in = new Node[masked ? 7 : 6];
        for (int i = 0; i < 4; i++) in[i] = grad.input(i);
        in[4] = a;
        if (masked) in[5] = grad.input(4);
        in[in.length - 1] = composed;
        AttentionGradVjp vjp = new AttentionGradVjp(op.scale(), op.causal(), op.additive(), masked, gBar, true);
        return grad.graph().node(vjp, composed.shape(), in);
    }

    /** The composite {@code y}'s composed value: its last input. */
    public Node composedFor(Node y) {
        requireComposite(y);
        return y.input(y.arity() - 1);
    }

    /** The composite {@code y} as the kernel's node: the same inputs without the composed value. */
    public Node fusedFor(Node y) {
        requireComposite(y);
        Node[] in = new Node[y.arity() - 1];
        for (int i = 0; i < in.length; i++) in[i] = y.input(i);
        return y.graph().node(new AttentionGradVjp(scale, causal, additive, masked, gBar, false), y.shape(), in);
    }

    private void requireComposite(Node y) {
        if (!composite) throw new IllegalStateException(y.describe() + " is the compiled form, without its composed value");
    }

    @Override public String name() { return "attention_grad_vjp"; }

    @Override
    public Node[] vjp(Node y, Node c) {
        requireComposite(y);
        Node[] out = new Node[y.arity()];
        out[out.length - 1] = c;
        return out;
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        requireComposite(y);
        return t[t.length - 1];
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        AttentionDims a = Attention.dims(y, scale, causal);
        Attention.ReferenceMask mask = masked ? Attention.ReferenceMask.of(y, 5, in, additive) : null;
        int b0 = a.batch(), tq = a.tq(), tk = a.tk(), d = a.d(), dv = a.dv();
        int akAt = b0 * tq * d, avAt = akAt + b0 * tk * d, kBarAt = akAt, vBarAt = avAt, gBarAt = avAt + b0 * tk * dv;
        double[] q = in[0], k = in[1], v = in[2], g = in[3], t = in[4];
        double[] p = new double[tk], dp = new double[tk], x = new double[tk], z = new double[tk];
        Arrays.fill(out, 0);
        for (int b = 0; b < b0; b++) {
            for (int i = 0; i < tq; i++) {
                Attention.probabilities(a, scale, in, mask, b, i, p);
                int qi = (b * tq + i) * d, gi = (b * tq + i) * dv;
                double rowDot = 0, e = 0, f = 0;
                for (int j = 0; j < tk; j++) {
                    int kj = (b * tk + j) * d, vj = (b * tk + j) * dv;
                    double sb = 0, pb = 0;
                    dp[j] = 0;
                    for (int c = 0; c < dv; c++) {
                        dp[j] += g[gi + c] * v[vj + c];
                        pb += g[gi + c] * t[avAt + vj + c];
                    }
                    for (int c = 0; c < d; c++) sb += t[qi + c] * k[kj + c] + q[qi + c] * t[akAt + kj + c];
                    x[j] = scale * sb;
                    z[j] = pb;
                    rowDot += p[j] * dp[j];
                    e += p[j] * x[j];
                }
                for (int j = 0; j < tk; j++) {
                    z[j] += x[j] * (dp[j] - rowDot) - e * dp[j];
                    f += p[j] * z[j];
                }
                for (int j = 0; j < tk; j++) {
                    int kj = (b * tk + j) * d, vj = (b * tk + j) * dv;
                    double ds = scale * p[j] * (dp[j] - rowDot), dpBar = p[j] * (x[j] - e), sBar = scale * p[j] * (z[j] - f);
                    for (int c = 0; c < d; c++) {
                        out[qi + c] += ds * t[akAt + kj + c] + sBar * k[kj + c];
                        out[kBarAt + kj + c] += ds * t[qi + c] + sBar * q[qi + c];
                    }
                    for (int c = 0; c < dv; c++) {
                        out[vBarAt + vj + c] += dpBar * g[gi + c];
                        if (gBar) out[gBarAt + gi + c] += p[j] * t[avAt + vj + c] + dpBar * v[vj + c];
                    }
                }
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        if (composite) {
            throw new IllegalStateException("compiling " + y.describe() + ": got the composite form (its last input the"
                    + " composed value), expected the fused form; AttentionLowering replaces the composite by fusedFor or"
                    + " composedFor before compiling");
        }
        AttentionDims a = Attention.dims(y, scale, causal);
        Node q = y.input(0), k = y.input(1), v = y.input(2), g = y.input(3), t = y.input(4);
        float[] qa = b.array(q), ka = b.array(k), va = b.array(v), ga = b.array(g), ta = b.array(t), out = b.array(y);
        int qo = b.offset(q), ko = b.offset(k), vo = b.offset(v), go = b.offset(g), to = b.offset(t), oo = b.offset(y);
        int nq = q.shape().numel(), nk = k.shape().numel(), nv = v.shape().numel();
        AttentionMaskLayout m = masked ? Attention.maskLayout(y, 5, b, additive) : null;
        int gBarOff = gBar ? oo + nq + nk + nv : -1;
        return () -> org.panagrad.kernels.Attention.secondOrder(a, m, qa, qo, ka, ko, va, vo, ga, go, ta, to, to + nq,
                to + nq + nk, out, oo, oo + nq, oo + nq + nk, gBarOff);
    }

    @Override
    public long flops(Node y) {
        AttentionDims a = Attention.dims(y, scale, causal);
        return 2L * a.batch() * a.tq() * a.tk() * (7L * a.d() + (gBar ? 5L : 3L) * a.dv()) + 16L * a.batch() * a.tq() * a.tk();
    }
}

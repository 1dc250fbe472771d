package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Constant;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.AttentionDims;
import org.panagrad.kernels.AttentionMaskLayout;

import java.util.function.IntSupplier;

/**
 * Scaled dot-product attention as one instruction: softmax(scale Q K^T + mask) V for queries [..., Tq, d], keys
 * [..., Tk, d] and values [..., Tk, dv] (the same leading axes), giving [..., Tq, dv]. Inputs (q, k, v) or
 * (q, k, v, mask). The forward streams over key blocks with an online softmax, or takes 64 query rows against all
 * keys by packed GEMMs for non-causal entries of 128 to 1024 keys ({@link org.panagrad.kernels.Attention}), never
 * storing the [Tq, Tk] scores. Its VJP is one fused backward instruction ({@link AttentionGrad}) whose own
 * derivatives, like this op's JVP, are graph ops over the recomputed probabilities ({@link #probabilities}), so an
 * HVP through a fused attention is exact.
 * {@link #composed} is the same function built from batched matmul, scaling, the mask and softmax.
 * <p>
 * A query that sees no key (every score hidden, by any mix of masks: a padding mask hiding a sequence's first key
 * under a causal mask does it to query 0) is NaN, as a softmax of -inf is: its output row, its query gradient,
 * every key and value gradient of its batch entry, and the corresponding parts of the second order, in the fused
 * and the composed forms alike and in their float64 references. That is what PyTorch 1.13's nn.MultiheadAttention
 * gives, whose masks are all additive; a masked_fill before the softmax would stop the NaN at the hidden keys.
 */
public record Attention(double scale, boolean causal, boolean additive) implements Op {
    /** The fused op. */
    public static Node fused(Node q, Node k, Node v, AttentionMask mask, double scale) {
        Shape out = check(q, k, v, mask);
        Attention op = new Attention(scale, mask.causal(), mask.additive());
        return mask.values() == null ? q.graph().node(op, out, q, k, v) : q.graph().node(op, out, q, k, v, mask.values());
    }

    /** The same function from graph ops: batched matmul, scale, mask, softmax, matmul. */
    public static Node composed(Node q, Node k, Node v, AttentionMask mask, double scale) {
        check(q, k, v, mask);
        return MatMul.of(probabilities(q, k, mask, scale), v, false, false);
    }

    /**
     * The composed form with inverted dropout on the probabilities before they weight the values, as
     * nn.MultiheadAttention's dropout: the mask is a function of (seed, step, element) ({@link Dropout}), so a
     * gradient and an HVP at one step drop the same weights. The fused kernel has no mask inside; this is the form
     * that drops.
     */
    public static Node composed(Node q, Node k, Node v, AttentionMask mask, double scale, double dropout, Node step,
                                long seed) {
        check(q, k, v, mask);
        Node p = probabilities(q, k, mask, scale);
        return MatMul.of(dropout > 0 ? Dropout.of(p, step, dropout, seed) : p, v, false, false);
    }

    /** The same function as the fused node {@code y} (of this op), built from graph ops as {@link #composed} does. */
    public Node composedFor(Node y) {
        return composed(y.input(0), y.input(1), y.input(2), mask(y), scale);
    }

    /** The head dim d of the fused node {@code y}: the queries' last dim. */
    public static int headDim(Node y) {
        return last(y.input(0), 1);
    }

    /**
     * softmax(scale Q K^T + mask) along the keys: [..., Tq, Tk]. Every mask is added to the scores, a boolean or
     * causal one as 0 where kept and -inf where hidden, as PyTorch 1.13's nn.MultiheadAttention applies its masks;
     * so a query that sees no key has NaN probabilities, which the addition's derivative carries to every key of
     * its entry, as the fused kernels do (a select would stop them at the hidden keys).
     */
    static Node probabilities(Node q, Node k, AttentionMask mask, double scale) {
        Node s = Scale.of(MatMul.of(q, k, false, true), scale);
        if (mask.values() != null) s = Add.of(s, mask.additive() ? mask.values() : hiddenWhereZero(mask.values()));
        if (mask.causal()) s = Add.of(s, causalMask(q.graph(), last(s.shape(), 2), last(s.shape(), 1)));
        return Softmax.of(s, -1);
    }

    /** The constant [tq, tk] causal mask as an addend: 0 on and below the diagonal, -inf above; one per graph and size. */
    static Node causalMask(Graph g, int tq, int tk) {
        String name = "causal_mask_" + tq + "x" + tk;
        for (Node n : g.nodes()) if (name.equals(n.name())) return n;
        float[] addend = new float[tq * tk];
        for (int i = 0; i < tq; i++) for (int j = i + 1; j < tk; j++) addend[i * tk + j] = Float.NEGATIVE_INFINITY;
        return g.constant(name, Shape.of(tq, tk), addend);
    }

    /** A boolean mask's constant (1 = keep) as an addend: 0 where kept, -inf where hidden; one per graph and mask. */
    private static Node hiddenWhereZero(Node keep) {
        String name = keep.name() + "_as_addend_" + keep.id();
        for (Node n : keep.graph().nodes()) if (name.equals(n.name())) return n;
        float[] values = ((Constant) keep.op()).values(), addend = new float[values.length];
        for (int e = 0; e < values.length; e++) addend[e] = values[e] != 0f ? 0f : Float.NEGATIVE_INFINITY;
        return keep.graph().constant(name, keep.shape(), addend);
    }

    /** The output shape [..., Tq, dv], or an error naming the operands (and for a mask, both shapes). */
    static Shape check(Node q, Node k, Node v, AttentionMask mask) {
        int r = q.shape().rank();
        if (r < 2) throw new ShapeException("attention: queries " + q.describe() + " need at least two axes [..., Tq, d]");
        if (k.shape().rank() != r || v.shape().rank() != r) {
            throw new ShapeException("attention of " + q.describe() + ", " + k.describe() + ", " + v.describe()
                    + ": queries, keys and values must have the same rank");
        }
        for (int a = 0; a < r - 2; a++) {
            if (k.shape().dim(a) != q.shape().dim(a) || v.shape().dim(a) != q.shape().dim(a)) {
                throw new ShapeException("attention of " + q.describe() + ", " + k.describe() + ", " + v.describe()
                        + ": the leading axes differ at axis " + a);
            }
        }
        if (last(k.shape(), 1) != last(q.shape(), 1)) throw ShapeException.of("attention", q, k, "queries and keys need the same last dim d");
        if (last(v.shape(), 2) != last(k.shape(), 2)) throw ShapeException.of("attention", k, v, "keys and values need the same count Tk");
        int[] scores = q.shape().dims();
        scores[r - 1] = last(k.shape(), 2);
        Shape s = Shape.of(scores);
        Node m = mask.values();
        if (m != null && !Broadcast.broadcastsTo(m.shape(), s)) {
            throw new ShapeException("attention: the mask " + m.describe() + " does not broadcast to the scores " + s
                    + " of " + q.describe() + " and " + k.describe());
        }
        if (m != null && !mask.additive() && !(m.op() instanceof Constant)) {
            throw new ShapeException("attention: the boolean mask " + m.describe() + " must be a Graph.constant of zeros and ones");
        }
        int[] out = q.shape().dims();
        out[r - 1] = last(v.shape(), 1);
        return Shape.of(out);
    }

    /** Dim n from the end (1 = the last). */
    static int last(Shape s, int n) {
        return s.dim(s.rank() - n);
    }

    static int last(Node x, int n) {
        return last(x.shape(), n);
    }

    private AttentionMask mask(Node y) {
        return new AttentionMask(y.arity() > 3 ? y.input(3) : null, additive, causal);
    }

    @Override public String name() { return "attention"; }

    /**
     * dq, dk and dv from one fused backward instruction ({@link AttentionGrad}); for an additive mask also its
     * gradient, the score gradient dS summed to the mask's shape, from the composed probabilities (dead code, never
     * computed, where the mask is a constant).
     */
    @Override
    public Node[] vjp(Node y, Node g) {
        Node[] grads = AttentionGrad.of(y, g);
        if (y.arity() == 3) return grads;
        Node mask = null;
        if (additive) {
            Node v = y.input(2), p = probabilities(y.input(0), y.input(1), mask(y), scale);
            Node ds = Mul.of(p, Sub.of(MatMul.of(g, v, false, true), Softmax.sumAlong(Mul.of(g, y), y.shape().rank() - 1)));
            mask = Broadcast.sumTo(ds, y.input(3).shape());
        }
        return new Node[] {grads[0], grads[1], grads[2], mask};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node q = y.input(0), k = y.input(1), v = y.input(2);
        Node p = probabilities(q, k, mask(y), scale);
        Node ts = null;
        if (t[0] != null) ts = MatMul.of(t[0], k, false, true);
        if (t[1] != null) ts = Tangents.add(ts, MatMul.of(q, t[1], false, true));
        if (ts != null) ts = Scale.of(ts, scale);
        if (y.arity() > 3 && additive && t[3] != null) ts = Tangents.add(ts, Broadcast.expandTo(t[3], p.shape()));
        Node out = ts == null ? null : MatMul.of(Softmax.jacobianTimes(p, ts, p.shape().rank() - 1), v, false, false);
        return t[2] == null ? out : Tangents.add(out, MatMul.of(p, t[2], false, false));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        AttentionDims a = dims(y, scale, causal);
        ReferenceMask mask = ReferenceMask.of(y, 3, in, additive);
        double[] p = new double[a.tk()];
        for (int b = 0; b < a.batch(); b++) {
            for (int i = 0; i < a.tq(); i++) {
                probabilities(a, scale, in, mask, b, i, p);
                for (int c = 0; c < a.dv(); c++) {
                    double x = 0;
                    for (int j = 0; j < a.tk(); j++) x += p[j] * in[2][(b * a.tk() + j) * a.dv() + c];
                    out[(b * a.tq() + i) * a.dv() + c] = x;
                }
            }
        }
    }

    /** Where the float64 reference reads a mask (inputs[index]), or none. */
    record ReferenceMask(double[] values, int[] offsets, int rowStride, int colStride, boolean additive) {
        static ReferenceMask of(Node y, int index, double[][] in, boolean additive) {
            if (y.arity() <= index) return null;
            int[] strides = maskStrides(y.input(0), y.input(index));
            return new ReferenceMask(in[index], maskOffsets(y.input(0), y.input(index)), strides[0], strides[1], additive);
        }
    }

    /**
     * Row i of batch entry b of softmax(scale Q K^T + mask) in float64 into p[0..tk), from q = in[0] and k = in[1]:
     * the reference of the fused op and of its backward (scale in float64: the sizes' float copy is the kernels').
     */
    static void probabilities(AttentionDims a, double scale, double[][] in, ReferenceMask mask, int b, int i, double[] p) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < a.tk(); j++) {
            double dot = 0;
            for (int c = 0; c < a.d(); c++) dot += in[0][(b * a.tq() + i) * a.d() + c] * in[1][(b * a.tk() + j) * a.d() + c];
            p[j] = dot * scale;
            if (mask != null) {
                double m = mask.values()[mask.offsets()[b] + i * mask.rowStride() + j * mask.colStride()];
                p[j] = mask.additive() ? p[j] + m : m != 0 ? p[j] : Double.NEGATIVE_INFINITY;
            }
            if (a.causal() && j > i) p[j] = Double.NEGATIVE_INFINITY;
            max = Math.max(max, p[j]);
        }
        double sum = 0;
        for (int j = 0; j < a.tk(); j++) sum += p[j] = Math.exp(p[j] - max);
        for (int j = 0; j < a.tk(); j++) p[j] /= sum;
    }

    /** The kernel's sizes for a node whose inputs start with q, k, v. */
    static AttentionDims dims(Node y, double scale, boolean causal) {
        Shape q = y.input(0).shape();
        int tq = last(q, 2), d = last(q, 1), tk = last(y.input(1), 2), dv = last(y.input(2), 1);
        return new AttentionDims(q.numel() / (tq * d), tq, tk, d, dv, (float) scale, causal);
    }

    /**
     * Fails when the node is built, naming the op and its queries, where a fused kernel's per-thread workspace (the
     * backward and second order hold an entry's score rows whole) would not fit one array.
     */
    static void requireWorkspace(String op, Node q, IntSupplier workspace) {
        try {
            workspace.getAsInt();
        } catch (IllegalArgumentException e) {
            throw new ShapeException(op + " of " + q.describe() + ": " + e.getMessage());
        }
    }

    /** The mask's element strides along the scores' axes [..., Tq, Tk] of queries q: 0 where it broadcasts. */
    private static int[] maskStridesAll(Node q, Node mask) {
        Shape m = mask.shape();
        int r = q.shape().rank();
        int[] own = m.strides(), out = new int[r];
        for (int a = 0; a < r; a++) {
            int ma = a - (r - m.rank());
            out[a] = ma < 0 || m.dim(ma) == 1 ? 0 : own[ma];
        }
        return out;
    }

    /** Strides along Tq and Tk. */
    private static int[] maskStrides(Node q, Node mask) {
        int[] all = maskStridesAll(q, mask);
        return new int[] {all[all.length - 2], all[all.length - 1]};
    }

    /** The mask's offset for each batch entry (row-major over the leading axes). */
    private static int[] maskOffsets(Node q, Node mask) {
        int[] strides = maskStridesAll(q, mask);
        Shape qs = q.shape();
        int lead = qs.rank() - 2, batch = qs.numel() / (last(qs, 2) * last(qs, 1));
        int[] offsets = new int[batch];
        for (int b = 0; b < batch; b++) {
            int rest = b, off = 0;
            for (int a = lead - 1; a >= 0; a--) {
                off += rest % qs.dim(a) * strides[a];
                rest /= qs.dim(a);
            }
            offsets[b] = off;
        }
        return offsets;
    }

    /** Where the kernels read the mask y.input(index) in the arena, or null without one. */
    static AttentionMaskLayout maskLayout(Node y, int index, Buffers b, boolean additive) {
        if (y.arity() <= index) return null;
        Node q = y.input(0), mask = y.input(index);
        int[] offsets = maskOffsets(q, mask), strides = maskStrides(q, mask);
        int base = b.offset(mask);
        for (int i = 0; i < offsets.length; i++) offsets[i] += base;
        return new AttentionMaskLayout(b.array(mask), offsets, strides[0], strides[1], !additive);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        AttentionDims a = dims(y, scale, causal);
        Node q = y.input(0), k = y.input(1), v = y.input(2);
        float[] qa = b.array(q), ka = b.array(k), va = b.array(v), out = b.array(y);
        int qo = b.offset(q), ko = b.offset(k), vo = b.offset(v), oo = b.offset(y);
        AttentionMaskLayout m = maskLayout(y, 3, b, additive);
        return () -> org.panagrad.kernels.Attention.forward(a, m, qa, qo, ka, ko, va, vo, out, oo);
    }

    @Override
    public long flops(Node y) {
        AttentionDims a = dims(y, scale, causal);
        return 2L * a.batch() * a.tq() * a.tk() * (a.d() + a.dv()) + 5L * a.batch() * a.tq() * a.tk();
    }
}

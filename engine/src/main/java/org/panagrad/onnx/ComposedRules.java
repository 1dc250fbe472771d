package org.panagrad.onnx;

import org.panagrad.graph.Fill;
import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;
import org.panagrad.io.ProtoWriter;
import org.panagrad.ops.Add;
import org.panagrad.ops.Attention;
import org.panagrad.ops.Gelu;
import org.panagrad.ops.LayerNorm;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Neg;
import org.panagrad.ops.Rsqrt;

import java.util.Arrays;

/**
 * The export rules of ops that are one instruction here and several ONNX nodes there, or the other way round:
 * batch norm (our per-channel affine of folded statistics, recognised and written back as BatchNormalization),
 * layer norm with its affine part (LayerNormalization), GELU (opset 17 has no Gelu: its Erf or Tanh formula) and
 * fused attention (the MatMul, Softmax, MatMul composition torch.onnx writes).
 */
final class ComposedRules {
    private ComposedRules() {}

    /**
     * x * scale[c] + shift[c]. When scale and shift are batch norm's fold of running statistics and affine
     * parameters (Ops.batchNorm in evaluation mode), one BatchNormalization in inference mode reading the running
     * statistics under their state-dict names; any other per-channel affine (a fold done elsewhere), a Mul and an
     * Add of the scale and shift laid along the channel axis.
     */
    static String channelAffine(Node n, Emitter e) {
        Node x = n.input(0), scale = n.input(1), shift = n.input(2);
        BatchNormParts bn = BatchNormParts.match(scale, shift, e);
        String out = e.name(n);
        if (bn != null) {
            int c = x.shape().dim(1);
            String w = bn.weight != null ? e.value(bn.weight) : e.constant(out + ".scale", new int[] {c}, filled(c, 1));
            String b = bn.bias != null ? e.value(bn.bias) : e.constant(out + ".bias", new int[] {c}, new float[c]);
            ProtoWriter node = e.emit("BatchNormalization", out, e.value(x), w, b, e.value(bn.mean), e.value(bn.var));
            OnnxProto.floatAttribute(node, "epsilon", (float) bn.eps);
            return out;
        }
        long[] alongChannels = new long[x.shape().rank() - 1];
        Arrays.fill(alongChannels, 1);
        alongChannels[0] = x.shape().dim(1);
        String s = e.fresh(out + ".scale"), h = e.fresh(out + ".shift"), scaled = e.fresh(out + ".scaled");
        e.emit("Reshape", s, e.value(scale), e.int64s(out + ".channels", alongChannels));
        e.emit("Reshape", h, e.value(shift), e.int64s(out + ".channels", alongChannels));
        e.emit("Mul", scaled, e.value(x), s);
        e.emit("Add", out, scaled, h);
        return out;
    }

    /** What Ops.batchNorm folded: scale = rsqrt(var + eps) [* weight], shift = -(mean * scale) [+ bias]. */
    private record BatchNormParts(Node mean, Node var, Node weight, Node bias, double eps) {
        static BatchNormParts match(Node scale, Node shift, Emitter e) {
            Node weight = null, bias = null, rsqrt = scale;
            if (scale.op() instanceof Mul && scale.input(0).op() instanceof Rsqrt) {
                rsqrt = scale.input(0);
                weight = scale.input(1);
            }
            if (!(rsqrt.op() instanceof Rsqrt) || !(rsqrt.input(0).op() instanceof Add)) return null;
            Node sum = rsqrt.input(0);
            if (!(sum.input(1).op() instanceof Fill eps)) return null;
            Node var = sum.input(0), neg = shift;
            if (shift.op() instanceof Add && shift.input(0).op() instanceof Neg) {
                neg = shift.input(0);
                bias = shift.input(1);
            }
            if (!(neg.op() instanceof Neg) || !(neg.input(0).op() instanceof Mul) || neg.input(0).input(1) != scale) return null;
            Node mean = neg.input(0).input(0);
            for (Node stat : new Node[] {mean, var}) {
                if (stat.op().storage() != Storage.VARIABLE && stat.op().storage() != Storage.CONSTANT) return null;
            }
            // The fold's parts must not be read elsewhere, or they would be computed anyway.
            if (e.uses(scale) != 2 || e.uses(shift) != 1) return null;
            return new BatchNormParts(mean, var, weight, bias, eps.value());
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /**
     * Layer norm over the trailing axes, as LayerNormalization; {@code weight} and {@code bias} (either may be null)
     * are the affine part that Ops.layerNorm adds as a Mul and an Add, written into the one node.
     */
    static String layerNorm(Node norm, Node weight, Node bias, String out, Emitter e) {
        LayerNorm op = (LayerNorm) norm.op();
        Node x = norm.input(0);
        int rank = x.shape().rank();
        int[] trailing = Arrays.copyOfRange(x.shape().dims(), rank - op.axes(), rank);
        String scale = weight != null ? e.value(weight)
                : e.constant(out + ".scale", trailing, filled(Arrays.stream(trailing).reduce(1, (a, b) -> a * b), 1));
        ProtoWriter node = bias != null ? e.emit("LayerNormalization", out, e.value(x), scale, e.value(bias))
                : e.emit("LayerNormalization", out, e.value(x), scale);
        OnnxProto.intAttribute(node, "axis", rank - op.axes());
        OnnxProto.floatAttribute(node, "epsilon", (float) op.eps());
        return out;
    }

    /** The layer norm and its weight when n = layer_norm(x) * weight with the weight of the normalised shape. */
    static Node[] layerNormTimesWeight(Node n, Emitter e) {
        if (!(n.op() instanceof Mul)) return null;
        for (int k = 0; k < 2; k++) {
            Node norm = n.input(k), w = n.input(1 - k);
            if (norm.op() instanceof LayerNorm op && e.uses(norm) == 1 && w.shape().rank() == op.axes()
                    && Arrays.equals(w.shape().dims(), Arrays.copyOfRange(norm.shape().dims(), norm.shape().rank() - op.axes(),
                    norm.shape().rank()))) {
                return new Node[] {norm, w};
            }
        }
        return null;
    }

    /** Exact GELU as x/2 (1 + erf(x / sqrt 2)); the tanh form as x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static String gelu(Node n, Emitter e) {
        String x = e.value(n.input(0)), out = e.name(n);
        String inner;
        if (((Gelu) n.op()).tanhForm()) {
            String cube = e.fresh(out + ".cube"), poly = e.fresh(out + ".poly"), arg = e.fresh(out + ".arg");
            e.emit("Pow", cube, x, e.scalar(out + ".three", 3));
            e.emit("Add", poly, x, mul(cube, e.scalar(out + ".c", 0.044715), e));
            e.emit("Mul", arg, poly, e.scalar(out + ".sqrt_2_over_pi", Math.sqrt(2 / Math.PI)));
            e.emit("Tanh", inner = e.fresh(out + ".tanh"), arg);
        } else {
            e.emit("Erf", inner = e.fresh(out + ".erf"), mul(x, e.scalar(out + ".sqrt_half", Math.sqrt(0.5)), e));
        }
        String one = e.fresh(out + ".one_plus");
        e.emit("Add", one, inner, e.scalar(out + ".one", 1));
        e.emit("Mul", out, mul(x, e.scalar(out + ".half", 0.5), e), one);
        return out;
    }

    private static String mul(String a, String b, Emitter e) {
        String out = e.fresh(a + ".times");
        e.emit("Mul", out, a, b);
        return out;
    }

    /**
     * Fused attention as torch.onnx writes scaled_dot_product_attention: softmax(Q K^T * scale + mask) V with the
     * additive mask added, a boolean one and the causal one applied by Where with -inf.
     */
    static String attention(Node n, Emitter e) {
        Attention op = (Attention) n.op();
        Node q = n.input(0), k = n.input(1), v = n.input(2);
        String out = e.name(n);
        String kt = e.fresh(out + ".keys_t"), scores = e.fresh(out + ".scores"), s = e.fresh(out + ".scaled");
        OnnxProto.intsAttribute(e.emit("Transpose", kt, e.value(k)), "perm", swapLastTwo(k.shape().rank()));
        e.emit("MatMul", scores, e.value(q), kt);
        e.emit("Mul", s, scores, e.scalar(out + ".scale", op.scale()));
        String hidden = null;
        if (n.arity() > 3) {
            String masked = e.fresh(out + ".masked");
            if (op.additive()) {
                e.emit("Add", masked, s, e.value(n.input(3)));
            } else {
                e.emit("Where", masked, e.bool(n.input(3)), s, hidden = e.scalar(out + ".hidden", Double.NEGATIVE_INFINITY));
            }
            s = masked;
        }
        if (op.causal()) {
            int r = q.shape().rank(), tq = q.shape().dim(r - 2), tk = k.shape().dim(r - 2);
            float[] keep = new float[tq * tk];
            for (int i = 0; i < tq; i++) for (int j = 0; j <= Math.min(i, tk - 1); j++) keep[i * tk + j] = 1f;
            String mask = e.fresh(out + ".causal"), causal = e.fresh(out + ".causal_masked");
            OnnxProto.intAttribute(e.emit("Cast", mask, e.constant(out + ".causal_keep", new int[] {tq, tk}, keep)), "to", OnnxProto.BOOL);
            if (hidden == null) hidden = e.scalar(out + ".hidden", Double.NEGATIVE_INFINITY);
            e.emit("Where", causal, mask, s, hidden);
            s = causal;
        }
        String p = e.fresh(out + ".probabilities");
        OnnxProto.intAttribute(e.emit("Softmax", p, s), "axis", -1);
        e.emit("MatMul", out, p, e.value(v));
        return out;
    }

    static long[] swapLastTwo(int rank) {
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) perm[i] = i;
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = rank - 2;
        return perm;
    }
}

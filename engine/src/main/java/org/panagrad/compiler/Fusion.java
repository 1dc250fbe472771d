package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.ops.Add;
import org.panagrad.ops.ChannelAffine;
import org.panagrad.ops.Conv2d;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Ops;
import org.panagrad.ops.Relu;
import org.panagrad.ops.Scale;
import org.panagrad.ops.Step;
import org.panagrad.ops.fused.ChannelAffinePair;
import org.panagrad.ops.fused.FusedConv;
import org.panagrad.ops.fused.FusedLinear;
import org.panagrad.ops.fused.Fusible;
import org.panagrad.ops.fused.MaskedProduct;
import org.panagrad.ops.fused.ReluBackward;
import org.panagrad.ops.fused.ScaledGram;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuses what would otherwise be extra passes over memory: a bias add and a ReLU into the epilogue of the
 * GEMM that produces their input (a matmul's or a convolution's), the ReLU mask into the backward multiply (or into the epilogue of the GEMM
 * producing the incoming gradient), a sum of two per-channel affine maps (batch norm's input gradient) into one
 * pass, a constant scaling of a Gram product into the symmetric product's stores (Kronecker factors), and whatever a {@link Fusible} op absorbs (an SGD update takes in the
 * GEMM of its weight gradient). A product is fused only when nothing else reads it, since fusion means it is
 * never stored.
 */
final class Fusion {
    private Fusion() {}

    /** What a rule sees: the node before rewriting (whose ids the use counts are keyed by) and after. */
    private interface Rule {
        Node apply(Node original, Node n, int[] uses, Set<Node> overwritten);
    }

    /** The rules, keyed by the op they rewrite; ops outside this table take part through {@link Fusible}. */
    private static final Map<Class<? extends Op>, Rule> RULES = Map.of(
            Add.class, (original, n, uses, overwritten) -> fuseAdd(original, n, uses),
            ChannelAffine.class, (original, n, uses, overwritten) -> foldIntoConvolution(original, n, uses),
            Relu.class, (original, n, uses, overwritten) -> fuseRelu(original, n, uses),
            Mul.class, Fusion::fuseReluMask,
            Scale.class, (original, n, uses, overwritten) -> fuseGramScale(original, n, uses));

    static List<Node> run(List<Node> outputs) {
        int[] uses = Rewrite.useCounts(outputs);
        Set<Node> overwritten = new HashSet<>();
        return Rewrite.apply(outputs, (original, n) -> {
            Rule rule = RULES.get(n.op().getClass());
            if (rule != null) return rule.apply(original, n, uses, overwritten);
            if (n.op() instanceof Fusible) {
                return ((Fusible) n.op()).fuse(n, new Fusible.Context() {
                    @Override
                    public boolean readOnlyHere(int input) {
                        return uses[original.input(input).id()] == 1;
                    }

                    @Override
                    public boolean overwrittenInPlace(Node node) {
                        return overwritten.contains(node);
                    }
                });
            }
            return n;
        });
    }

    private static Node fuseAdd(Node original, Node add, int[] uses) {
        Node a = add.input(0), b = add.input(1);
        if (a.op() instanceof ChannelAffine && b.op() instanceof ChannelAffine && a.shape().equals(add.shape())
                && b.shape().equals(add.shape()) && uses[original.input(0).id()] == 1 && uses[original.input(1).id()] == 1) {
            return ChannelAffinePair.of(a, b);
        }
        return fuseBias(original, add, uses);
    }

    private static Node fuseBias(Node original, Node add, int[] uses) {
        for (int side = 0; side < 2; side++) {
            Node product = add.input(side), bias = add.input(1 - side);
            if (product.op() instanceof MatMul && uses[original.input(side).id()] == 1
                    && product.shape().equals(add.shape()) && isRowOf(bias, add)) {
                return FusedLinear.of(product, bias, false, add.shape());
            }
            if (product.op() instanceof Conv2d && uses[original.input(side).id()] == 1
                    && product.shape().equals(add.shape()) && FusedConv.isChannelBias(bias, add)) {
                return FusedConv.of(product, bias, false, add.shape());
            }
        }
        return add;
    }

    /**
     * Batch norm folded into the convolution it follows, when nothing else reads the convolution's output (an
     * evaluation pass: in training the batch statistics read it too): conv(x, w) [+ b] then * scale + shift per
     * channel is conv(x, w * scale) + (b * scale + shift), one convolution whose GEMM starts from the new bias.
     * The folded weight is recomputed each run from the current statistics, O * C * kh * kw multiplies.
     */
    private static Node foldIntoConvolution(Node original, Node affine, int[] uses) {
        Node y = affine.input(0), scale = affine.input(1), shift = affine.input(2);
        boolean plain = y.op() instanceof Conv2d, withBias = y.op() instanceof FusedConv && !((FusedConv) y.op()).relu();
        if (!(plain || withBias) || uses[original.input(0).id()] != 1) return affine;
        Node w = y.input(1);
        int out = w.shape().dim(0);
        Node folded = Mul.of(w, Ops.reshape(scale, out, 1, 1, 1));
        Node bias = Ops.reshape(shift, out, 1, 1);
        if (withBias) bias = Add.of(Mul.of(y.input(2), Ops.reshape(scale, out, 1, 1)), bias);
        Conv2d conv = plain ? (Conv2d) y.op() : ((FusedConv) y.op()).conv();
        return FusedConv.of(Conv2d.of(y.input(0), folded, conv.geometry()), bias, false, affine.shape());
    }

    /** c (X^T X) or c (X X^T), when nothing else reads the product: the scaling in the symmetric product's stores. */
    private static Node fuseGramScale(Node original, Node scale, int[] uses) {
        Node product = scale.input(0);
        if (!(product.op() instanceof MatMul) || uses[original.input(0).id()] != 1) return scale;
        MatMul mm = (MatMul) product.op();
        Node x = product.input(0);
        if (x != product.input(1) || mm.transA() == mm.transB() || !ScaledGram.applies(x, mm.transA())) return scale;
        return ScaledGram.of(x, mm.transA(), ((Scale) scale.op()).c());
    }

    private static Node fuseRelu(Node original, Node relu, int[] uses) {
        Node x = relu.input(0);
        if (x.op() instanceof FusedLinear && !((FusedLinear) x.op()).relu() && uses[original.input(0).id()] == 1) {
            return x.graph().node(new FusedLinear(((FusedLinear) x.op()).matmul(), true), relu.shape(),
                    x.input(0), x.input(1), x.input(2));
        }
        if (x.op() instanceof FusedConv && !((FusedConv) x.op()).relu() && uses[original.input(0).id()] == 1) {
            return x.graph().node(new FusedConv(((FusedConv) x.op()).conv(), true), relu.shape(), x.input(0), x.input(1), x.input(2));
        }
        return relu;
    }

    /**
     * g * step(y) as ReLU's backward; when g is a product nothing else reads, in that product's epilogue
     * ({@link MaskedProduct}), which may then write over y: noted in {@code overwritten}.
     */
    private static Node fuseReluMask(Node original, Node mul, int[] uses, Set<Node> overwritten) {
        for (int side = 0; side < 2; side++) {
            Node g = mul.input(1 - side), mask = mul.input(side);
            if (mask.op() instanceof Step && ((Step) mask.op()).atZero() == 0
                    && g.shape().equals(mul.shape()) && mask.shape().equals(mul.shape())) {
                Node y = mask.input(0);
                if (!(g.op() instanceof MatMul) || uses[original.input(1 - side).id()] != 1) return ReluBackward.of(g, y);
                Node masked = MaskedProduct.of(g, y);
                if (masked.op().inPlaceInput(masked) >= 0) overwritten.add(y);
                return masked;
            }
        }
        return mul;
    }

    /**
     * A bias: one value per column of the sum, stored as a row ([n], [1, n], [1, 1, n]...) and broadcast over
     * every other axis of a sum of any rank (a Linear on [..., in]).
     */
    private static boolean isRowOf(Node bias, Node sum) {
        return bias.shape().rows() == 1 && bias.shape().cols() == sum.shape().cols() && bias.shape().rank() <= sum.shape().rank();
    }
}

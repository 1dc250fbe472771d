package org.panagrad.onnx;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.io.ProtoWriter;
import org.panagrad.ops.Abs;
import org.panagrad.ops.Add;
import org.panagrad.ops.Attention;
import org.panagrad.ops.ChannelAffine;
import org.panagrad.ops.Concat;
import org.panagrad.ops.Erf;
import org.panagrad.ops.Expand;
import org.panagrad.ops.Gather;
import org.panagrad.ops.Gelu;
import org.panagrad.ops.LayerNorm;
import org.panagrad.ops.Max;
import org.panagrad.ops.Pad;
import org.panagrad.ops.Pow;
import org.panagrad.ops.Rsqrt;
import org.panagrad.ops.Sign;
import org.panagrad.ops.Slice;
import org.panagrad.ops.Softplus;
import org.panagrad.ops.Sqrt;
import org.panagrad.ops.Where;
import org.panagrad.ops.AvgPool2d;
import org.panagrad.ops.Conv2d;
import org.panagrad.ops.ConvGeometry;
import org.panagrad.ops.Div;
import org.panagrad.ops.Exp;
import org.panagrad.ops.Log;
import org.panagrad.ops.LogSoftmax;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.MaxPool2d;
import org.panagrad.ops.Maximum;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Neg;
import org.panagrad.ops.Permute;
import org.panagrad.ops.PoolGeometry;
import org.panagrad.ops.Relu;
import org.panagrad.ops.Reshape;
import org.panagrad.ops.Scale;
import org.panagrad.ops.Sigmoid;
import org.panagrad.ops.Softmax;
import org.panagrad.ops.StopGradient;
import org.panagrad.ops.Sub;
import org.panagrad.ops.Sum;
import org.panagrad.ops.Tanh;

import java.util.Map;

/**
 * How each op becomes ONNX (opset 17): one small rule per op, keyed by the op's class, as the compiler's
 * rewrite tables are. A rule returns the ONNX value holding the node. Adding an op's export is adding an entry.
 */
final class OnnxRules {
    private OnnxRules() {}

    @FunctionalInterface
    interface Rule {
        String export(Node n, Emitter e);
    }

    private static final Map<Class<? extends Op>, Rule> RULES = Map.ofEntries(
            Map.entry(MatMul.class, OnnxRules::matmul),
            Map.entry(Conv2d.class, (n, e) -> conv(n, null, e.name(n), e)),
            Map.entry(MaxPool2d.class, (n, e) -> pool(n, e, "MaxPool", ((MaxPool2d) n.op()).geometry())),
            Map.entry(AvgPool2d.class, (n, e) -> pool(n, e, "AveragePool", ((AvgPool2d) n.op()).geometry())),
            Map.entry(Add.class, OnnxRules::add),
            Map.entry(Sub.class, binary("Sub")),
            Map.entry(Mul.class, OnnxRules::mul),
            Map.entry(Div.class, binary("Div")),
            Map.entry(Maximum.class, binary("Max")),
            Map.entry(Neg.class, unary("Neg")),
            Map.entry(Exp.class, unary("Exp")),
            Map.entry(Log.class, unary("Log")),
            Map.entry(Tanh.class, unary("Tanh")),
            Map.entry(Sigmoid.class, unary("Sigmoid")),
            Map.entry(Relu.class, unary("Relu")),
            Map.entry(Sqrt.class, unary("Sqrt")),
            Map.entry(Abs.class, unary("Abs")),
            Map.entry(Sign.class, unary("Sign")),
            Map.entry(Softplus.class, unary("Softplus")),
            Map.entry(Erf.class, unary("Erf")),
            Map.entry(Rsqrt.class, OnnxRules::rsqrt),
            Map.entry(Pow.class, OnnxRules::pow),
            Map.entry(Where.class, OnnxRules::where),
            Map.entry(Max.class, (n, e) -> reduce(n, e, "ReduceMax", ((Max) n.op()).axes())),
            Map.entry(Slice.class, OnnxRules::slice),
            Map.entry(Pad.class, OnnxRules::pad),
            Map.entry(Concat.class, OnnxRules::concat),
            Map.entry(Expand.class, OnnxRules::expand),
            Map.entry(Gather.class, OnnxRules::gather),
            Map.entry(Gelu.class, ComposedRules::gelu),
            Map.entry(LayerNorm.class, (n, e) -> ComposedRules.layerNorm(n, null, null, e.name(n), e)),
            Map.entry(ChannelAffine.class, ComposedRules::channelAffine),
            Map.entry(Attention.class, ComposedRules::attention),
            Map.entry(StopGradient.class, unary("Identity")),
            Map.entry(Scale.class, OnnxRules::scale),
            Map.entry(Sum.class, (n, e) -> reduce(n, e, "ReduceSum", ((Sum) n.op()).axes())),
            Map.entry(Reshape.class, OnnxRules::reshape),
            Map.entry(Permute.class, OnnxRules::permute),
            Map.entry(Softmax.class, (n, e) -> alongAxis(n, e, "Softmax", ((Softmax) n.op()).axis())),
            Map.entry(LogSoftmax.class, (n, e) -> alongAxis(n, e, "LogSoftmax", ((LogSoftmax) n.op()).axis())));

    /** Exports a computed node by its op's rule, or fails naming the op. */
    static String export(Node n, Emitter e) {
        Rule rule = RULES.get(n.op().getClass());
        if (rule == null) {
            throw new UnsupportedOpException("op '" + n.op().name() + "' has no ONNX export (at " + n.describe()
                    + "); nothing was written");
        }
        return rule.export(n, e);
    }

    static boolean supports(Class<? extends Op> op) {
        return RULES.containsKey(op);
    }

    private static Rule unary(String opType) {
        return (n, e) -> {
            String x = e.value(n.input(0));
            String out = e.name(n);
            e.emit(opType, out, x);
            return out;
        };
    }

    // ONNX's elementwise ops broadcast as NumPy does, as ours do.
    private static Rule binary(String opType) {
        return (n, e) -> {
            String a = e.value(n.input(0)), b = e.value(n.input(1));
            String out = e.name(n);
            e.emit(opType, out, a, b);
            return out;
        };
    }

    private static String alongAxis(Node n, Emitter e, String opType, int axis) {
        String out = e.name(n);
        OnnxProto.intAttribute(e.emit(opType, out, e.value(n.input(0))), "axis", axis);
        return out;
    }

    /**
     * A matrix product is a Gemm, which transposes its operands itself (as torch.onnx exports nn.Linear); a batched
     * one (an operand of rank 3 or more) is a MatMul, with a Transpose of the last two axes of an operand read
     * transposed.
     */
    private static String matmul(Node n, Emitter e) {
        if (n.input(0).shape().rank() == 2 && n.input(1).shape().rank() == 2) return gemm(n, null, e.name(n), e);
        MatMul mm = (MatMul) n.op();
        String out = e.name(n);
        e.emit("MatMul", out, matmulOperand(n.input(0), mm.transA(), out + ".a_t", e), matmulOperand(n.input(1), mm.transB(), out + ".b_t", e));
        return out;
    }

    private static String matmulOperand(Node x, boolean transposed, String base, Emitter e) {
        Emitter.Operand o = e.operand(x, transposed);
        if (!o.transposed()) return o.name();
        String t = e.fresh(base);
        OnnxProto.intsAttribute(e.emit("Transpose", t, o.name()), "perm", ComposedRules.swapLastTwo(x.shape().rank()));
        return t;
    }

    /**
     * A product plus a bias that nothing else reads is one Gemm with the bias as C; a convolution plus a bias per
     * channel is one Conv with the bias as B.
     */
    private static String add(Node n, Emitter e) {
        for (int k = 0; k < 2; k++) {
            Node product = n.input(k), bias = n.input(1 - k);
            Node[] normTimesWeight = ComposedRules.layerNormTimesWeight(product, e);
            if (normTimesWeight != null && e.uses(product) == 1 && bias.shape().equals(normTimesWeight[1].shape())) {
                return ComposedRules.layerNorm(normTimesWeight[0], normTimesWeight[1], bias, e.name(n), e);
            }
            if (product.op() instanceof Conv2d && e.uses(product) == 1 && product.shape().equals(n.shape())
                    && bias.shape().rank() == 3 && bias.shape().numel() == n.shape().dim(1) && bias.shape().dim(0) == n.shape().dim(1)) {
                return conv(product, bias, e.name(n), e);
            }
            if (product.op() instanceof MatMul && e.uses(product) == 1 && product.shape().rank() == 2
                    && fitsGemmBias(bias.shape(), product.shape()) && product.shape().equals(n.shape())) {
                return gemm(product, bias, e.name(n), e);
            }
        }
        return binary("Add").export(n, e);
    }

    /** A layer norm times its weight is one LayerNormalization (with the bias too, when an Add follows). */
    private static String mul(Node n, Emitter e) {
        Node[] normTimesWeight = ComposedRules.layerNormTimesWeight(n, e);
        if (normTimesWeight != null) return ComposedRules.layerNorm(normTimesWeight[0], normTimesWeight[1], null, e.name(n), e);
        return binary("Mul").export(n, e);
    }

    private static String gemm(Node product, Node bias, String out, Emitter e) {
        MatMul mm = (MatMul) product.op();
        Emitter.Operand a = e.operand(product.input(0), mm.transA());
        Emitter.Operand b = e.operand(product.input(1), mm.transB());
        String[] inputs = bias == null ? new String[] {a.name(), b.name()} : new String[] {a.name(), b.name(), e.value(bias)};
        ProtoWriter node = e.emit("Gemm", out, inputs);
        if (a.transposed()) OnnxProto.intAttribute(node, "transA", 1);
        if (b.transposed()) OnnxProto.intAttribute(node, "transB", 1);
        return out;
    }

    /** Conv with the geometry as attributes; a bias [O, 1, 1] goes in as B [O] (the [O] it was reshaped from). */
    private static String conv(Node n, Node bias, String out, Emitter e) {
        ConvGeometry g = ((Conv2d) n.op()).geometry();
        Node w = n.input(1);
        String b = null;
        if (bias != null) {
            Node flat = bias.op() instanceof Reshape && bias.input(0).shape().rank() == 1 ? bias.input(0) : null;
            b = flat != null ? e.value(flat) : e.fresh(out + ".bias");
            if (flat == null) e.emit("Reshape", b, e.value(bias), e.int64s(out + ".bias.shape", bias.shape().numel()));
        }
        String x = e.value(n.input(0)), weight = e.value(w);
        ProtoWriter node = b == null ? e.emit("Conv", out, x, weight) : e.emit("Conv", out, x, weight, b);
        OnnxProto.intsAttribute(node, "kernel_shape", w.shape().dim(2), w.shape().dim(3));
        OnnxProto.intsAttribute(node, "strides", g.strideH(), g.strideW());
        OnnxProto.intsAttribute(node, "pads", g.padH(), g.padW(), g.padH(), g.padW());
        OnnxProto.intsAttribute(node, "dilations", g.dilationH(), g.dilationW());
        OnnxProto.intAttribute(node, "group", g.groups());
        return out;
    }

    /** MaxPool or AveragePool (counting the padding, as PyTorch's default and ours). */
    private static String pool(Node n, Emitter e, String opType, PoolGeometry g) {
        String out = e.name(n);
        ProtoWriter node = e.emit(opType, out, e.value(n.input(0)));
        OnnxProto.intsAttribute(node, "kernel_shape", g.kh(), g.kw());
        OnnxProto.intsAttribute(node, "strides", g.strideH(), g.strideW());
        OnnxProto.intsAttribute(node, "pads", g.padH(), g.padW(), g.padH(), g.padW());
        if (opType.equals("AveragePool")) OnnxProto.intAttribute(node, "count_include_pad", 1);
        return out;
    }

    // Gemm's C broadcasts one way to [M, N]: a scalar, a row [N] or [1, N], a column [M, 1], or [M, N].
    private static boolean fitsGemmBias(Shape c, Shape y) {
        if (c.rank() == 0) return true;
        if (c.rank() == 1) return c.dim(0) == y.dim(1) || c.dim(0) == 1;
        return c.rank() == 2 && (c.dim(0) == 1 || c.dim(0) == y.dim(0)) && (c.dim(1) == 1 || c.dim(1) == y.dim(1));
    }

    private static String scale(Node n, Emitter e) {
        Node in = n.input(0);
        if (isGlobalAveragePool(n) && e.uses(in) == 1) {
            String out = e.name(n);
            e.emit("GlobalAveragePool", out, e.value(in.input(0)));
            return out;
        }
        String x = e.value(in);
        String c = e.constant("scale_" + n.id() + ".c", new int[0], new float[] {(float) ((Scale) n.op()).c()});
        String out = e.name(n);
        e.emit("Mul", out, x, c);
        return out;
    }

    /** Whether n is the mean over the spatial axes of an NCHW value, kept (Ops.adaptiveAvgPool2d1). */
    private static boolean isGlobalAveragePool(Node n) {
        Node sum = n.input(0);
        if (!(sum.op() instanceof Sum) || ((Sum) sum.op()).axes() != 0b1100 || sum.shape().rank() != 4) return false;
        Shape x = sum.input(0).shape();
        return x.rank() == 4 && Math.abs(((Scale) n.op()).c() * x.dim(2) * x.dim(3) - 1) < 1e-12;
    }

    /**
     * A reduction (ReduceSum, ReduceMax) over the op's axes, kept with size 1 and reshaped away where our output
     * drops them. Opset 17's ReduceSum takes the axes as an input, ReduceMax as an attribute.
     */
    private static String reduce(Node n, Emitter e, String opType, int mask) {
        Node x = n.input(0);
        int rank = x.shape().rank();
        long[] axes = new long[Integer.bitCount(mask)];
        for (int a = 0, k = 0; a < rank; a++) if ((mask & (1 << a)) != 0) axes[k++] = a;
        String in = e.value(x);
        String out = e.name(n);
        if (axes.length == 0) {
            e.emit("Identity", out, in);
            return out;
        }
        String reduced = n.shape().rank() == rank ? out : e.fresh(out + ".keepdims");
        ProtoWriter node = opType.equals("ReduceSum") ? e.emit(opType, reduced, in, e.int64s(out + ".axes", axes))
                : e.emit(opType, reduced, in);
        if (!opType.equals("ReduceSum")) OnnxProto.intsAttribute(node, "axes", axes);
        OnnxProto.intAttribute(node, "keepdims", 1);
        if (reduced.equals(out)) return out;
        int[] keptFactors = e.dims().factors(x).clone();
        for (long axis : axes) keptFactors[(int) axis] = 0;
        return reshapeTo(n.shape(), e.dims().factors(n), keptFactors, reduced, out, e, n);
    }

    private static String reshape(Node n, Emitter e) {
        return reshapeTo(n.shape(), e.dims().factors(n), e.dims().factors(n.input(0)), e.value(n.input(0)), e.name(n), e, n);
    }

    /**
     * Reshapes {@code in} (whose dimensions follow the batch by {@code inFactors}) to {@code shape}; a dimension that
     * follows the batch is copied from the input or inferred from the element count.
     */
    private static String reshapeTo(Shape shape, int[] outFactors, int[] inFactors, String in, String out, Emitter e,
                                    Node n) {
        long[] target = new long[shape.rank()];
        boolean inferred = false;
        for (int i = 0; i < target.length; i++) {
            if (outFactors[i] == 0) {
                target[i] = shape.dim(i);
            } else if (i < inFactors.length && inFactors[i] == outFactors[i]) {
                target[i] = 0; // Reshape copies the input's dimension i
            } else if (!inferred) {
                target[i] = -1; // Reshape infers it from the element count
                inferred = true;
            } else {
                throw new UnsupportedOpException("cannot export " + n.describe() + ": a reshape with two dimensions that"
                        + " follow the batch size in new places");
            }
        }
        e.emit("Reshape", out, in, e.int64s(out + ".shape", target));
        return out;
    }

    private static String permute(Node n, Emitter e) {
        long[] perm = ((Permute) n.op()).axes().stream().mapToLong(Integer::longValue).toArray();
        String out = e.name(n);
        OnnxProto.intsAttribute(e.emit("Transpose", out, e.value(n.input(0))), "perm", perm);
        return out;
    }

    /** 1 / sqrt(x): opset 17 has no Rsqrt. */
    private static String rsqrt(Node n, Emitter e) {
        String out = e.name(n), root = e.fresh(out + ".sqrt");
        e.emit("Sqrt", root, e.value(n.input(0)));
        e.emit("Reciprocal", out, root);
        return out;
    }

    private static String pow(Node n, Emitter e) {
        String out = e.name(n);
        e.emit("Pow", out, e.value(n.input(0)), e.scalar(out + ".p", ((Pow) n.op()).p()));
        return out;
    }

    /** where(mask, a, b), the constant mask of zeros and ones cast to ONNX's booleans. */
    private static String where(Node n, Emitter e) {
        String out = e.name(n);
        e.emit("Where", out, e.bool(n.input(0)), e.value(n.input(1)), e.value(n.input(2)));
        return out;
    }

    /**
     * Slice over the axes that are cut, with their starts, ends and steps; an axis that follows the batch must be
     * kept whole, since its length is not known.
     */
    private static String slice(Node n, Emitter e) {
        Slice op = (Slice) n.op();
        Node x = n.input(0);
        int[] inFactors = e.dims().factors(x);
        java.util.List<long[]> cuts = new java.util.ArrayList<>();
        for (int a = 0; a < x.shape().rank(); a++) {
            int start = op.starts().get(a), step = op.steps().get(a), count = n.shape().dim(a);
            if (start == 0 && step == 1 && count == x.shape().dim(a)) continue;
            if (inFactors[a] != 0) {
                throw new UnsupportedOpException("cannot export " + n.describe() + ": it cuts axis " + a + ", whose length follows the batch size");
            }
            cuts.add(new long[] {a, start, start + (long) (count - 1) * step + 1, step});
        }
        String out = e.name(n);
        if (cuts.isEmpty()) {
            e.emit("Identity", out, e.value(x));
            return out;
        }
        long[][] columns = new long[4][cuts.size()];
        for (int i = 0; i < cuts.size(); i++) for (int c = 0; c < 4; c++) columns[c][i] = cuts.get(i)[c];
        e.emit("Slice", out, e.value(x), e.int64s(out + ".starts", columns[1]), e.int64s(out + ".ends", columns[2]),
                e.int64s(out + ".axes", columns[0]), e.int64s(out + ".steps", columns[3]));
        return out;
    }

    /** Zeros before and after each axis (Pad's constant mode; 'same' convolutions with an even kernel need it). */
    private static String pad(Node n, Emitter e) {
        Pad op = (Pad) n.op();
        Node x = n.input(0);
        int rank = x.shape().rank();
        long[] pads = new long[2 * rank];
        for (int a = 0; a < rank; a++) {
            if (op.steps().get(a) != 1) {
                throw new UnsupportedOpException("cannot export " + n.describe() + ": ONNX's Pad has no strided placement (step "
                        + op.steps().get(a) + " along axis " + a + ")");
            }
            pads[a] = op.starts().get(a);
            pads[rank + a] = n.shape().dim(a) - x.shape().dim(a) - op.starts().get(a);
            if ((pads[a] != 0 || pads[rank + a] != 0) && e.dims().factors(x)[a] != 0) {
                throw new UnsupportedOpException("cannot export " + n.describe() + ": it pads axis " + a + ", whose length follows the batch size");
            }
        }
        String out = e.name(n);
        e.emit("Pad", out, e.value(x), e.int64s(out + ".pads", pads));
        return out;
    }

    private static String concat(Node n, Emitter e) {
        String[] inputs = new String[n.arity()];
        for (int i = 0; i < inputs.length; i++) inputs[i] = e.value(n.input(i));
        String out = e.name(n);
        OnnxProto.intAttribute(e.emit("Concat", out, inputs), "axis", ((Concat) n.op()).axis());
        return out;
    }

    /**
     * x repeated along the op's axes: x laid out with length 1 there (it holds the other axes' elements in order),
     * then Expand to the output's shape, computed from the batch size where it follows it.
     */
    private static String expand(Node n, Emitter e) {
        int mask = ((Expand) n.op()).axes();
        Node x = n.input(0);
        int rank = n.shape().rank();
        int[] kept = n.shape().dims(), keptFactors = e.dims().factors(n).clone();
        for (int a = 0; a < rank; a++) {
            if ((mask & (1 << a)) != 0) {
                kept[a] = 1;
                keptFactors[a] = 0;
            }
        }
        String out = e.name(n);
        String in = e.value(x);
        if (!java.util.Arrays.equals(kept, x.shape().dims())) {
            in = reshapeTo(Shape.of(kept), keptFactors, e.dims().factors(x), in, e.fresh(out + ".kept"), e, n);
        }
        e.emit("Expand", out, in, e.shapeOf(n));
        return out;
    }

    /** Rows of a table picked by int64 indices (an embedding lookup; ONNX Gather along axis 0). */
    private static String gather(Node n, Emitter e) {
        String out = e.name(n);
        OnnxProto.intAttribute(e.emit("Gather", out, e.value(n.input(0)), e.value(n.input(1))), "axis", 0);
        return out;
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

/**
 * The ops as functions, the way models are written: {@code relu(add(matmul(x, w), b))} with
 * {@code import static org.panagrad.ops.Ops.*}, as jax.numpy or torch.nn.functional. Each builds a node in its
 * operands' graph and checks their shapes there and then. Binary ops broadcast by NumPy's rule over any rank;
 * axes may be negative, counting from the end.
 */
public final class Ops {
    private Ops() {}

    /**
     * The matrix product over the last two axes, batched over the leading ones with broadcasting, as torch.matmul;
     * a vector operand is a row (a) or a column (b) whose axis is dropped from the result.
     */
    public static Node matmul(Node a, Node b) { return MatMul.of(a, b, false, false); }
    /** op(a) · op(b), where op swaps the last two axes of an operand when asked: free, the GEMM reads it transposed. */
    public static Node matmul(Node a, Node b, boolean transposeA, boolean transposeB) {
        return MatMul.of(a, b, transposeA, transposeB);
    }

    // Elementwise, broadcasting.
    public static Node add(Node a, Node b) { return Add.of(a, b); }
    public static Node sub(Node a, Node b) { return Sub.of(a, b); }
    public static Node mul(Node a, Node b) { return Mul.of(a, b); }
    public static Node div(Node a, Node b) { return Div.of(a, b); }
    public static Node maximum(Node a, Node b) { return Maximum.of(a, b); }
    /**
     * a where the constant mask is 1, b where it is 0 (torch.where, jnp.where), all three broadcasting: a causal
     * attention mask is {@code where(causal, scores, fill(-inf))}. The mask is a Graph.constant of zeros and ones.
     */
    public static Node where(Node mask, Node a, Node b) { return Where.of(mask, a, b); }

    // Elementwise, unary.
    public static Node neg(Node x) { return Neg.of(x); }
    public static Node scale(Node x, double c) { return Scale.of(x, c); }
    public static Node exp(Node x) { return Exp.of(x); }
    public static Node log(Node x) { return Log.of(x); }
    public static Node tanh(Node x) { return Tanh.of(x); }
    public static Node sigmoid(Node x) { return Sigmoid.of(x); }
    public static Node relu(Node x) { return Relu.of(x); }
    public static Node sqrt(Node x) { return Sqrt.of(x); }
    public static Node rsqrt(Node x) { return Rsqrt.of(x); }
    /** x^p for a constant p: any x for integer p, x >= 0 otherwise (NaN below, as torch.pow). */
    public static Node pow(Node x, double p) { return Pow.of(x, p); }
    public static Node abs(Node x) { return Abs.of(x); }
    /** 1, 0 or -1; its derivative is zero. */
    public static Node sign(Node x) { return Sign.of(x); }
    /** log(1 + e^x), stable at both ends. */
    public static Node softplus(Node x) { return Softplus.of(x); }
    /** The error function, as torch.erf. */
    public static Node erf(Node x) { return Erf.of(x); }
    /** The exact GELU, x Phi(x) (torch.nn.functional.gelu's default). */
    public static Node gelu(Node x) { return Gelu.of(x, false); }
    /** GELU, exact when approximate is "none", the tanh form when it is "tanh", as torch.nn.functional.gelu. */
    public static Node gelu(Node x, String approximate) {
        return switch (approximate) {
            case "none" -> Gelu.of(x, false);
            case "tanh" -> Gelu.of(x, true);
            default -> throw new IllegalArgumentException("gelu of " + x.describe() + ": approximate must be \"none\" or \"tanh\", not \""
                    + approximate + "\"");
        };
    }

    // Reductions and their adjoint.
    /** Sum of every element: a scalar. */
    public static Node sum(Node x) { return Sum.all(x); }
    /** Sum over one axis; with keepDims the axis stays, with length 1, as NumPy's keepdims. */
    public static Node sum(Node x, int axis, boolean keepDims) { return Sum.over(x, keepDims, axis); }
    /** Sum over several axes. */
    public static Node sum(Node x, int[] axes, boolean keepDims) { return Sum.over(x, keepDims, axes); }
    public static Node mean(Node x) { return Scale.of(Sum.all(x), 1.0 / x.shape().numel()); }
    public static Node mean(Node x, int axis, boolean keepDims) { return mean(x, new int[] {axis}, keepDims); }
    public static Node mean(Node x, int[] axes, boolean keepDims) {
        Node s = Sum.over(x, keepDims, axes);
        return Scale.of(s, (double) s.shape().numel() / x.shape().numel());
    }
    /** Maximum of every element. Its derivative splits the cotangent evenly among tied maxima, as JAX. */
    public static Node max(Node x) { return Max.over(x, false, allAxes(x)); }
    public static Node max(Node x, int axis, boolean keepDims) { return Max.over(x, keepDims, axis); }
    public static Node max(Node x, int[] axes, boolean keepDims) { return Max.over(x, keepDims, axes); }
    /** x repeated to the shape by NumPy's broadcasting rule (numpy.broadcast_to, torch.Tensor.expand). */
    public static Node broadcastTo(Node x, int... dims) { return Expand.to(x, Shape.of(dims)); }
    public static Node broadcastTo(Node x, Shape shape) { return Expand.to(x, shape); }

    // Layout.
    /** The same elements under other dims, one of which may be -1 (inferred), as torch.reshape; free in a program. */
    public static Node reshape(Node x, int... dims) { return Reshape.of(x, dims); }
    public static Node reshape(Node x, Shape s) { return Reshape.of(x, s); }
    /** The axes in another order: y's axis a is x's axis axes[a] (negative axes count from the end), as torch.permute. */
    public static Node permute(Node x, int... axes) { return Permute.of(x, axes); }
    /** The last two axes swapped: a matrix's transpose, or every matrix's of a batch (torch's x.mT). */
    public static Node transpose(Node x) {
        if (x.shape().rank() < 2) throw new ShapeException("transpose of " + x.describe() + ": needs at least two axes");
        return Permute.swap(x, -2, -1);
    }
    /** Axes a and b swapped, as torch.transpose(x, a, b). */
    public static Node transpose(Node x, int a, int b) { return Permute.swap(x, a, b); }
    /** x[start:stop] along one axis (negative positions count from the end; stops past the end are clamped). */
    public static Node slice(Node x, int axis, int start, int stop) { return Slice.along(x, axis, start, stop, 1); }
    /** x[start:stop:step] along one axis. */
    public static Node slice(Node x, int axis, int start, int stop, int step) { return Slice.along(x, axis, start, stop, step); }
    /** x[starts[a]:stops[a]:steps[a]] along every axis a. */
    public static Node slice(Node x, int[] starts, int[] stops, int[] steps) { return Slice.of(x, starts, stops, steps); }
    /** x at one index of an axis, the axis removed, as torch.select (x[:, 0] is select(x, 1, 0)). */
    public static Node select(Node x, int axis, int index) {
        int a = Layouts.axis("select", x, axis), dim = x.shape().dim(a);
        if (index < -dim || index >= dim) {
            throw new ShapeException("select of " + x.describe() + ": index " + index + " is out of range for axis " + a
                    + " of length " + dim);
        }
        Node one = Slice.along(x, a, index, index == -1 ? Integer.MAX_VALUE : index + 1, 1);
        int[] dims = new int[x.shape().rank() - 1];
        for (int i = 0, j = 0; i < x.shape().rank(); i++) if (i != a) dims[j++] = x.shape().dim(i);
        return Reshape.of(one, Shape.of(dims));
    }
    /** x with before[a] zeros ahead of it and after[a] behind it along each axis a (numpy.pad's pad_width). */
    public static Node pad(Node x, int[] before, int[] after) { return Pad.of(x, before, after); }
    /** The operands one after another along an axis, as torch.cat. */
    public static Node concat(int axis, Node... xs) { return Concat.of(axis, xs); }
    /**
     * Rows of a table picked by integer indices (Graph.integers) of any shape, an embedding lookup:
     * table [rows, ...] and indices [i...] give [i..., ...].
     */
    public static Node gather(Node table, Node indices) { return Gather.of(table, indices); }

    // Attention.
    /**
     * Scaled dot-product attention softmax(Q K^T / sqrt(d) + mask) V from graph ops (batched matmul, scale, mask,
     * softmax), as torch.nn.functional.scaled_dot_product_attention: q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv].
     */
    public static Node attention(Node q, Node k, Node v, AttentionMask mask) {
        return Attention.composed(q, k, v, mask, 1 / Math.sqrt(q.shape().dim(q.shape().rank() - 1)));
    }
    /**
     * Attention whose probabilities go through inverted dropout with probability {@code dropout} (the mask drawn
     * from (seed, step, element), as {@link #dropout}) before they weight the values; composed, since the fused
     * kernel has no dropout inside.
     */
    public static Node attention(Node q, Node k, Node v, AttentionMask mask, double dropout, Node step, long seed) {
        return Attention.composed(q, k, v, mask, 1 / Math.sqrt(q.shape().dim(q.shape().rank() - 1)), dropout, step, seed);
    }
    /** The same attention as one fused instruction: an online softmax over key blocks, no [Tq, Tk] scores stored. */
    public static Node fusedAttention(Node q, Node k, Node v, AttentionMask mask) {
        return Attention.fused(q, k, v, mask, 1 / Math.sqrt(q.shape().dim(q.shape().rank() - 1)));
    }
    /** Fused attention with an explicit scale of the scores. */
    public static Node fusedAttention(Node q, Node k, Node v, AttentionMask mask, double scale) {
        return Attention.fused(q, k, v, mask, scale);
    }

    // Normalisation.
    /**
     * Layer normalisation over the trailing axes that {@code normalizedShape} names, with an elementwise affine
     * part (weight and bias of that shape, or null for none), as torch.nn.functional.layer_norm.
     */
    public static Node layerNorm(Node x, int[] normalizedShape, Node weight, Node bias, double eps) {
        int rank = x.shape().rank(), k = normalizedShape.length;
        boolean fits = k >= 1 && k <= rank;
        for (int i = 0; fits && i < k; i++) fits = x.shape().dim(rank - k + i) == normalizedShape[i];
        if (!fits) {
            throw new ShapeException("layer_norm of " + x.describe() + ": normalized shape "
                    + java.util.Arrays.toString(normalizedShape) + " is not its trailing dims");
        }
        for (Node p : new Node[] {weight, bias}) {
            if (p != null && !java.util.Arrays.equals(p.shape().dims(), normalizedShape)) {
                throw ShapeException.of("layer_norm", x, p, "the affine parameters must have the normalized shape "
                        + Shape.of(normalizedShape));
            }
        }
        Node y = LayerNorm.of(x, k, eps);
        if (weight != null) y = Mul.of(y, weight);
        return bias == null ? y : Add.of(y, bias);
    }

    // Convolutional networks (NCHW, PyTorch semantics).
    /**
     * torch.nn.functional.conv2d: x [N, C, H, W], w [O, C/groups, kh, kw], an optional bias [O] (null for none),
     * stride, zero padding and dilation per spatial axis as {height, width} (or one value for both), and groups
     * (depthwise when groups == C). Shapes are checked here: channels that groups does not divide, a weight whose
     * input channels are not one group's, a kernel larger than the padded input.
     */
    public static Node conv2d(Node x, Node w, Node bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return conv2d(x, w, bias, ConvGeometry.of(stride, padding, dilation, groups));
    }
    /** conv2d with stride 1, no padding, no dilation and one group. */
    public static Node conv2d(Node x, Node w, Node bias) { return conv2d(x, w, bias, ConvGeometry.DEFAULT); }
    /** conv2d with its sliding given as one value: ConvGeometry.of(stride, padding, dilation, groups). */
    public static Node conv2d(Node x, Node w, Node bias, ConvGeometry geometry) {
        Node y = Conv2d.of(x, w, geometry);
        if (bias == null) return y;
        int o = w.shape().dim(0);
        if (bias.shape().rank() != 1 || bias.shape().dim(0) != o) {
            throw ShapeException.of("conv2d", w, bias, "the bias needs one value per output channel: [" + o + "]");
        }
        return Add.of(y, Reshape.of(bias, Shape.of(o, 1, 1)));
    }
    /**
     * torch.nn.functional.unfold per group: the patches [N, groups K, outH, outW] (K = C/groups kh kw) that a
     * kh x kw convolution with this geometry multiplies, each position's patch along the channel axis.
     */
    public static Node unfold(Node x, int kh, int kw, ConvGeometry geometry) { return Unfold.of(x, kh, kw, geometry); }

    /** The patches channel-major, [groups K, N, outH, outW]: each patch entry one row over the batch ({@link Unfold}). */
    public static Node unfoldChannelMajor(Node x, int kh, int kw, ConvGeometry geometry) { return Unfold.of(x, kh, kw, geometry, true); }

    /**
     * The Gram product V V^T of the patches channel-major as a matrix [K, N outH outW], with a last row of ones when
     * {@code ones}: a stride-1, one-group convolution's input Kronecker factor, computed from x ({@link PatchGram}).
     */
    public static Node patchGram(Node x, int kh, int kw, ConvGeometry geometry, boolean ones) { return PatchGram.of(x, kh, kw, geometry, ones); }
    /**
     * conv2d with padding='same' (stride 1): the output has the input's height and width. Where the dilated
     * kernel's extent minus one is odd, the extra zero goes after (bottom, right), as PyTorch puts it.
     */
    public static Node conv2dSame(Node x, Node w, Node bias, int[] dilation, int groups) {
        int[] d = ConvGeometry.pair("dilation", dilation);
        if (w.shape().rank() != 4 || x.shape().rank() != 4) {
            throw ShapeException.of("conv2d (padding same)", x, w, "needs an input [N, C, H, W] and a weight [O, C/groups, kh, kw]");
        }
        int th = d[0] * (w.shape().dim(2) - 1), tw = d[1] * (w.shape().dim(3) - 1);
        int[] before = {th / 2, tw / 2};
        Node padded = x;
        if (th % 2 != 0 || tw % 2 != 0) padded = Pad.of(x, new int[4], new int[] {0, 0, th % 2, tw % 2});
        return conv2d(padded, w, bias, new int[] {1}, before, d, groups);
    }
    /** torch.nn.functional.max_pool2d(x, kernel, stride, padding): stride null means the kernel size. */
    public static Node maxPool2d(Node x, int[] kernel, int[] stride, int[] padding) {
        return MaxPool2d.of(x, PoolGeometry.of(kernel, stride, padding));
    }
    /** max_pool2d with a square kernel of side k, stride k, no padding (nn.MaxPool2d(k)). */
    public static Node maxPool2d(Node x, int k) { return maxPool2d(x, new int[] {k}, null, new int[] {0}); }
    /** torch.nn.functional.avg_pool2d(x, kernel, stride, padding), counting padding in the average (PyTorch's default). */
    public static Node avgPool2d(Node x, int[] kernel, int[] stride, int[] padding) {
        return AvgPool2d.of(x, PoolGeometry.of(kernel, stride, padding));
    }
    /** Global average pooling, adaptive_avg_pool2d(x, 1): [N, C, H, W] to [N, C, 1, 1]. */
    public static Node adaptiveAvgPool2d1(Node x) {
        if (x.shape().rank() != 4) throw new ShapeException("adaptive_avg_pool2d of " + x.describe() + ": needs an input [N, C, H, W]");
        return mean(x, new int[] {2, 3}, true);
    }
    /** torch.flatten(x, startDim): the axes from startDim on merged into one (a reshape, free in a program). */
    public static Node flatten(Node x, int startDim) {
        int rank = x.shape().rank(), a = startDim < 0 ? startDim + rank : startDim;
        if (a < 0 || a >= Math.max(1, rank)) {
            throw new ShapeException("flatten of " + x.describe() + ": start axis " + startDim + " is out of range for rank " + rank);
        }
        int[] dims = new int[a + 1];
        for (int i = 0; i < a; i++) dims[i] = x.shape().dim(i);
        dims[a] = -1;
        return Reshape.of(x, dims);
    }

    // Softmax and losses.
    /** Softmax along the last axis (the rows of a [batch, classes] matrix). */
    public static Node softmax(Node x) { return Softmax.of(x, -1); }
    public static Node softmax(Node x, int axis) { return Softmax.of(x, axis); }
    /** Log-softmax along the last axis. */
    public static Node logSoftmax(Node x) { return LogSoftmax.of(x, -1); }
    public static Node logSoftmax(Node x, int axis) { return LogSoftmax.of(x, axis); }
    /**
     * Mean cross-entropy of softmax(logits) against integer labels, PyTorch's layout: logits [N, C, d1, ...]
     * and labels [N, d1, ...] (or [C] and a scalar). Labels declared with an ignore index
     * ({@code Graph.labelsIgnoring}) skip those positions and average over the rest.
     */
    public static Node crossEntropy(Node logits, Node labels) { return SoftmaxCrossEntropy.of(logits, labels); }
    /** Cross-entropy with the classes along any axis: -1 for [batch, tokens, vocabulary] logits. */
    public static Node crossEntropy(Node logits, Node labels, int classAxis) {
        return SoftmaxCrossEntropy.of(logits, labels, classAxis);
    }
    /** mean((prediction - target)^2) over every element. */
    public static Node mseLoss(Node prediction, Node target) { return MeanSquaredError.of(prediction, target); }

    private static int[] allAxes(Node x) {
        int[] axes = new int[x.shape().rank()];
        for (int a = 0; a < axes.length; a++) axes[a] = a;
        return axes;
    }

    // Normalisation and regularisation layers' ops, NCHW and any [N, C, ...].
    /** Each channel's mean (row 0) and biased variance (row 1) over a batch x [N, C, ...]: [2, C]. */
    public static Node batchMoments(Node x) { return BatchMoments.of(x); }
    /** x * scale[c] + shift[c] along the channel axis of x [N, C, ...]. */
    public static Node channelAffine(Node x, Node scale, Node shift) { return ChannelAffine.of(x, scale, shift); }
    /** For g and x [N, C, ...] of one shape, [2, C]: each channel's sum of g (row 0) and of g * x (row 1), in one pass. */
    public static Node channelDots(Node g, Node x) { return ChannelDots.of(g, x); }
    /**
     * Batch normalisation of x [N, C, ...] with given per-channel statistics ([C] each): (x - mean) / sqrt(var + eps)
     * * weight + bias, as one pass over x (weight and bias may be null: PyTorch's affine=False).
     */
    public static Node batchNorm(Node x, Node mean, Node var, Node weight, Node bias, double eps) {
        return BatchNorms.normalize(x, mean, var, weight, bias, eps);
    }
    /** Batch normalisation in training mode: with the batch's own statistics, differentiated through them. */
    public static Node batchNorm(Node x, Node weight, Node bias, double eps) {
        Node m = BatchMoments.of(x);
        return BatchNorms.normalize(x, select(m, 0, 0), select(m, 0, 1), weight, bias, eps);
    }
    /** Inverted dropout with a mask drawn from (seed, step, element); p in [0, 1). */
    public static Node dropout(Node x, Node step, double p, long seed) { return Dropout.of(x, step, p, seed); }
}

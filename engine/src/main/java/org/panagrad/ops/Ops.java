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
}

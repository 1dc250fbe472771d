package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

/**
 * The ops as functions, the way models are written: {@code relu(add(matmul(x, w), b))} with
 * {@code import static org.panagrad.ops.Ops.*}, as jax.numpy or torch.nn.functional. Each builds a node in its
 * operands' graph and checks their shapes there and then. Binary ops broadcast by NumPy's rule over any rank;
 * axes may be negative, counting from the end.
 */
public final class Ops {
    private Ops() {}

    public static Node matmul(Node a, Node b) { return MatMul.of(a, b, false, false); }
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
    public static Node reshape(Node x, int... dims) { return Reshape.of(x, Shape.of(dims)); }
    public static Node reshape(Node x, Shape s) { return Reshape.of(x, s); }
    /** Transpose of a matrix. */
    public static Node transpose(Node x) { return Transpose.of(x); }

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

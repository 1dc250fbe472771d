package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

/**
 * The ops as functions, the way models are written: {@code relu(add(matmul(x, w), b))} with
 * {@code import static org.panagrad.ops.Ops.*}, as jax.numpy or torch.nn.functional. Each builds a node in its
 * operands' graph and checks their shapes there and then.
 */
public final class Ops {
    private Ops() {}

    public static Node matmul(Node a, Node b) { return MatMul.of(a, b, false, false); }
    public static Node matmul(Node a, Node b, boolean transposeA, boolean transposeB) {
        return MatMul.of(a, b, transposeA, transposeB);
    }
    public static Node add(Node a, Node b) { return Add.of(a, b); }
    public static Node sub(Node a, Node b) { return Sub.of(a, b); }
    public static Node mul(Node a, Node b) { return Mul.of(a, b); }
    public static Node div(Node a, Node b) { return Div.of(a, b); }
    public static Node maximum(Node a, Node b) { return Maximum.of(a, b); }
    public static Node neg(Node x) { return Neg.of(x); }
    public static Node scale(Node x, double c) { return Scale.of(x, c); }
    public static Node exp(Node x) { return Exp.of(x); }
    public static Node log(Node x) { return Log.of(x); }
    public static Node tanh(Node x) { return Tanh.of(x); }
    public static Node sigmoid(Node x) { return Sigmoid.of(x); }
    public static Node relu(Node x) { return Relu.of(x); }
    /** Sum of every element: a scalar. */
    public static Node sum(Node x) { return Sum.all(x); }
    /** Sum over one axis; with keepDims the axis stays, with length 1, as NumPy's keepdims. */
    public static Node sum(Node x, int axis, boolean keepDims) { return Sum.over(x, axis, keepDims); }
    public static Node mean(Node x) { return Scale.of(Sum.all(x), 1.0 / x.shape().numel()); }
    public static Node mean(Node x, int axis, boolean keepDims) {
        return Scale.of(Sum.over(x, axis, keepDims), 1.0 / x.shape().dim(axis));
    }
    public static Node reshape(Node x, int... dims) { return Reshape.of(x, Shape.of(dims)); }
    public static Node reshape(Node x, Shape s) { return Reshape.of(x, s); }
    /** Transpose of a matrix. */
    public static Node transpose(Node x) { return Transpose.of(x); }
    /** Softmax of each row. */
    public static Node softmax(Node x) { return RowSoftmax.of(x); }
    /** Log-softmax of each row. */
    public static Node logSoftmax(Node x) { return RowLogSoftmax.of(x); }
}

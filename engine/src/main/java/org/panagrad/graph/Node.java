package org.panagrad.graph;

import org.panagrad.ops.Add;
import org.panagrad.ops.Div;
import org.panagrad.ops.Exp;
import org.panagrad.ops.Log;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.Maximum;
import org.panagrad.ops.Mul;
import org.panagrad.ops.Neg;
import org.panagrad.ops.Relu;
import org.panagrad.ops.Reshape;
import org.panagrad.ops.RowLogSoftmax;
import org.panagrad.ops.RowSoftmax;
import org.panagrad.ops.Scale;
import org.panagrad.ops.Sigmoid;
import org.panagrad.ops.Sub;
import org.panagrad.ops.Sum;
import org.panagrad.ops.Tanh;
import org.panagrad.ops.Transpose;

import java.util.List;

/**
 * A node of a static computation graph: an op applied to input nodes, with a shape fixed when it is built.
 * Nodes are immutable and are created only through their graph, in topological order (inputs first), so a
 * node's id orders it after everything it depends on.
 */
public final class Node {
    private final Graph graph;
    private final int id;
    private final Op op;
    private final Node[] inputs;
    private final Shape shape;
    private final DType dtype;
    private final String name;

    Node(Graph graph, int id, Op op, Node[] inputs, Shape shape, DType dtype, String name) {
        this.graph = graph;
        this.id = id;
        this.op = op;
        this.inputs = inputs;
        this.shape = shape;
        this.dtype = dtype;
        this.name = name;
    }

    public Graph graph() { return graph; }
    public int id() { return id; }
    public Op op() { return op; }
    public Shape shape() { return shape; }
    public DType dtype() { return dtype; }
    /** The user's name for an input or a parameter, or null. */
    public String name() { return name; }
    public int arity() { return inputs.length; }
    public Node input(int i) { return inputs[i]; }
    public List<Node> inputs() { return List.of(inputs); }

    /** "x [128x784]" for named nodes, "matmul#12 [128x500]" for the others: how errors name operands. */
    public String describe() {
        return (name != null ? name : op.name() + "#" + id) + " " + shape;
    }

    @Override
    public String toString() {
        return describe();
    }

    // Fluent construction, so that models read like the maths: x.matmul(w).add(b).relu().

    public Node matmul(Node other) { return MatMul.of(this, other, false, false); }
    public Node matmul(Node other, boolean transposeThis, boolean transposeOther) {
        return MatMul.of(this, other, transposeThis, transposeOther);
    }
    public Node add(Node other) { return Add.of(this, other); }
    public Node sub(Node other) { return Sub.of(this, other); }
    public Node mul(Node other) { return Mul.of(this, other); }
    public Node div(Node other) { return Div.of(this, other); }
    public Node maximum(Node other) { return Maximum.of(this, other); }
    public Node neg() { return Neg.of(this); }
    public Node scale(double c) { return Scale.of(this, c); }
    public Node exp() { return Exp.of(this); }
    public Node log() { return Log.of(this); }
    public Node tanh() { return Tanh.of(this); }
    public Node sigmoid() { return Sigmoid.of(this); }
    public Node relu() { return Relu.of(this); }
    /** Sum of every element: a scalar. */
    public Node sum() { return Sum.all(this); }
    /** Sum over one axis; with keepDims the axis stays, with length 1, as NumPy's keepdims. */
    public Node sum(int axis, boolean keepDims) { return Sum.over(this, axis, keepDims); }
    public Node mean() { return Sum.all(this).scale(1.0 / shape.numel()); }
    public Node mean(int axis, boolean keepDims) {
        return Sum.over(this, axis, keepDims).scale(1.0 / shape.dim(axis));
    }
    public Node reshape(int... dims) { return Reshape.of(this, Shape.of(dims)); }
    public Node reshape(Shape s) { return Reshape.of(this, s); }
    /** Transpose of a matrix. */
    public Node t() { return Transpose.of(this); }
    /** Softmax of each row. */
    public Node softmax() { return RowSoftmax.of(this); }
    /** Log-softmax of each row. */
    public Node logSoftmax() { return RowLogSoftmax.of(this); }
}

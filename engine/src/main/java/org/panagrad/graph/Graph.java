package org.panagrad.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A static computation graph: the leaves (inputs, labels, parameters, state, constants) and every node built
 * from them. Derivatives and compiler rewrites add nodes to the same graph; the nodes stay in creation order,
 * which is a topological order.
 */
public final class Graph {
    private final List<Node> nodes = new ArrayList<>();
    private final List<Node> parameters = new ArrayList<>();
    private final Set<String> leafNames = new HashSet<>();

    /** A float input fed before each run, such as a batch of images. */
    public Node input(String name, int... dims) {
        return leaf(new Input(name, 0, nodes.size()), Shape.of(dims), DType.FLOAT, name);
    }

    /** A batch of integer class labels in [0, classes), fed before each run. */
    public Node labels(String name, int batch, int classes) {
        return integers(name, classes, batch);
    }

    /**
     * A tensor of integers in [0, bound) of any shape, fed before each run: class labels ({@code bound} classes,
     * any leading shape, as PyTorch's [N, ...] targets) or indices such as token ids ({@code bound} the
     * vocabulary size). Stored as exact small integers in float buffers.
     */
    public Node integers(String name, int bound, int... dims) {
        if (bound < 1) throw new IllegalArgumentException("integers " + name + ": the bound must be positive, got " + bound);
        return leaf(new Input(name, bound, nodes.size()), Shape.of(dims), DType.LABELS, name);
    }

    /**
     * Class labels in [0, classes) of any shape that may also hold {@code ignoreIndex} at positions a loss
     * skips, as PyTorch's ignore_index (-100 there by default): cross-entropy over these labels averages over
     * the other positions only. The program's label check accepts the ignore index.
     */
    public Node labelsIgnoring(String name, int classes, int ignoreIndex, int... dims) {
        if (classes < 1) throw new IllegalArgumentException("labels " + name + ": the class count must be positive, got " + classes);
        return leaf(new Input(name, classes, nodes.size(), java.util.OptionalInt.of(ignoreIndex)), Shape.of(dims),
                DType.LABELS, name);
    }

    /** A trainable parameter. Its values live in a {@link org.panagrad.runtime.ParameterStore}. */
    public Node parameter(String name, int... dims) {
        Node p = leaf(new Variable(name, true, nodes.size()), Shape.of(dims), DType.FLOAT, name);
        parameters.add(p);
        return p;
    }

    /** Non-trainable state that programs read and update: optimizer moments, learning rates. */
    public Node state(String name, Shape shape) {
        return leaf(new Variable(name, false, nodes.size()), shape, DType.FLOAT, name);
    }

    /** A constant tensor; the values are copied. */
    public Node constant(String name, Shape shape, float[] values) {
        if (values.length != shape.numel()) {
            throw new ShapeException("constant " + name + " " + shape + " needs " + shape.numel()
                    + " values, got " + values.length);
        }
        return leaf(new Constant(values.clone(), nodes.size()), shape, DType.FLOAT, name);
    }

    /** A tensor with every element equal to value. */
    public Node fill(double value, Shape shape) {
        return node(new Fill(value), shape);
    }

    /** Builds a node. Ops call this after checking their operands' shapes. */
    public Node node(Op op, Shape shape, Node... inputs) {
        return node(op, shape, DType.FLOAT, inputs);
    }

    public Node node(Op op, Shape shape, DType dtype, Node... inputs) {
        for (Node in : inputs) {
            if (in.graph() != this) {
                throw new IllegalArgumentException(op.name() + ": operand " + in.describe() + " belongs to another graph");
            }
        }
        Node n = new Node(this, nodes.size(), op, inputs.clone(), shape, dtype, null);
        nodes.add(n);
        return n;
    }

    private Node leaf(Op op, Shape shape, DType dtype, String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("a graph leaf needs a name");
        if (!leafNames.add(name)) throw new IllegalArgumentException("the graph already has a leaf named " + name);
        Node n = new Node(this, nodes.size(), op, new Node[0], shape, dtype, name);
        nodes.add(n);
        return n;
    }

    /** The leaf (input, parameter, state or constant) of this name, or null when there is none. */
    public Node leaf(String name) {
        if (!leafNames.contains(name)) return null;
        for (Node n : nodes) if (name.equals(n.name())) return n;
        throw new IllegalStateException("leaf " + name + " is registered but not found");
    }

    /** The trainable parameters, in creation order. */
    public List<Node> parameters() {
        return Collections.unmodifiableList(parameters);
    }

    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    public int size() {
        return nodes.size();
    }
}

package org.panagrad.graph;

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
}

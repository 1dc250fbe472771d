package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.runtime.Program;

import java.util.List;

/** A program's outputs shaped like the parameters, read as one flat vector in the parameters' order. */
final class FlatOutputs {
    private final Program program;
    private final Node[] nodes;
    private final int dimension;

    FlatOutputs(Program program, List<Node> nodes) {
        this.program = program;
        this.nodes = nodes.toArray(new Node[0]);
        int n = 0;
        for (Node x : nodes) n += x.shape().numel();
        this.dimension = n;
    }

    void read(float[] out) {
        if (out.length != dimension) {
            throw new IllegalArgumentException("a vector over these parameters has " + dimension + " entries, got " + out.length);
        }
        int off = 0;
        for (Node x : nodes) {
            program.readInto(x, out, off);
            off += x.shape().numel();
        }
    }

    int dimension() {
        return dimension;
    }

    Program program() {
        return program;
    }
}

package org.panagrad.demo;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.fused.ContainsProduct;
import org.panagrad.runtime.Program;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How graph drawings and profiles name and classify a compiled program's instructions: its op with the
 * shapes it works on, and whether it belongs to the forward pass, the backward pass or the update.
 */
final class CompiledNodes {
    enum Phase {
        FORWARD("forward", "#1f77b4"), BACKWARD("backward", "#d62728"), UPDATE("update", "#2ca02c");

        final String label;
        final String colour;

        Phase(String label, String colour) {
            this.label = label;
            this.colour = colour;
        }
    }

    private final Set<Node> forward = new HashSet<>();

    /**
     * Forward is everything the loss depends on; updates are the ops with side effects (they write the
     * parameters); the rest is the backward pass (or, for an HVP program, the derivative passes).
     */
    CompiledNodes(Program program, Node loss) {
        Set<Node> computed = new HashSet<>(program.instructionNodes());
        Deque<Node> todo = new ArrayDeque<>();
        todo.push(program.sourceOf(loss));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!computed.contains(n) || !forward.add(n)) continue;
            for (Node in : n.inputs()) todo.push(in);
        }
    }

    Phase phase(Node n) {
        if (n.op().hasSideEffects()) return Phase.UPDATE;
        return forward.contains(n) ? Phase.FORWARD : Phase.BACKWARD;
    }

    /** "matmul [128x784]·[784x500] → [128x500]": operands as the product uses them (transposes applied). */
    static String label(Node n) {
        return n.op().name() + " " + shapes(n);
    }

    /** "[128x784]·[784x500] → [128x500]"; an update fused with its gradient's GEMM writes into its parameter. */
    static String shapes(Node n) {
        String result = n.op().hasSideEffects() && n.op() instanceof ContainsProduct ? n.input(2).describe()
                : n.shape().toString();
        return operands(n) + " → " + result;
    }

    static String operands(Node n) {
        MatMul mm = n.op() instanceof MatMul ? (MatMul) n.op()
                : n.op() instanceof ContainsProduct ? ((ContainsProduct) n.op()).product() : null;
        if (mm != null) {
            String product = effective(n.input(0).shape(), mm.transA()) + "·" + effective(n.input(1).shape(), mm.transB());
            return n.arity() > 2 && !n.op().hasSideEffects() ? product + " + " + n.input(2).shape() : product;
        }
        List<Node> in = n.inputs();
        return in.stream().map(i -> i.shape().toString()).collect(Collectors.joining(", "));
    }

    private static Shape effective(Shape s, boolean transposed) {
        return transposed && s.rank() == 2 ? Shape.of(s.dim(1), s.dim(0)) : s;
    }
}

package org.panagrad.demo;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.Storage;
import org.panagrad.graph.Variable;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.fused.ContainsProduct;
import org.panagrad.runtime.Program;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How graph drawings and profiles name and classify a compiled program's instructions: its op with the
 * shapes it works on, and its phase: the forward pass, the backward pass, the tangent passes of a
 * Hessian-vector product, or the update.
 */
final class CompiledNodes {
    enum Phase {
        FORWARD("forward", "#1f77b4"),
        BACKWARD("backward", "#d62728"),
        /** Depends on the tangent v but on no backward value: a forward pass of tangents (jvp). */
        TANGENT_FORWARD("tangent forward", "#9467bd"),
        /** Depends on v and on the backward pass: the derivative of the gradient along v. */
        TANGENT_BACKWARD("tangent backward", "#ff7f0e"),
        UPDATE("update", "#2ca02c");

        final String label;
        final String colour;

        Phase(String label, String colour) {
            this.label = label;
            this.colour = colour;
        }
    }

    private static final Pattern TANGENT_NAME = Pattern.compile("v\\d+\\.(.+)");

    private final Set<Node> forward = new HashSet<>();
    private final Set<Node> tangentForward = new HashSet<>();
    private final Set<Node> tangentBackward = new HashSet<>();

    /** A program without tangents: a training step, a gradient. */
    CompiledNodes(Program program, Node loss) {
        this(program, loss, Set.of());
    }

    /**
     * Forward is every instruction the loss depends on; updates are the ops with side effects (they write the
     * parameters); what depends on one of the {@code tangents} (an HVP's v) is a tangent pass, forward when it
     * reads no backward value, else backward; the rest is the backward pass. A view (a reshape, a contiguous
     * slice) has no instruction but is still a node between instructions: the walks go through it to what it views,
     * else everything before vit-tiny's reshapes and permutes (or a CNN's flatten) would count as backward.
     */
    CompiledNodes(Program program, Node loss, Set<Node> tangents) {
        Set<Node> computed = new HashSet<>(program.instructionNodes()), seen = new HashSet<>();
        Deque<Node> todo = new ArrayDeque<>();
        todo.push(program.sourceOf(loss));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n)) continue;
            if (computed.contains(n)) forward.add(n);
            for (Node in : n.inputs()) todo.push(in);
        }
        // Instructions are in topological order, so one pass sees every input's class first.
        for (Node n : program.instructionNodes()) {
            if (forward.contains(n)) continue;
            boolean onTangent = false, onBackward = false;
            for (Node read : n.inputs()) {
                Node in = viewed(read, computed);
                onTangent |= tangents.contains(in) || tangentForward.contains(in) || tangentBackward.contains(in);
                onBackward |= tangentBackward.contains(in) || (computed.contains(in) && !forward.contains(in)
                        && !tangentForward.contains(in));
            }
            if (onTangent) (onBackward ? tangentBackward : tangentForward).add(n);
        }
    }

    /** The instruction or leaf whose values {@code n} reads: n itself, or what a chain of views without instructions views. */
    private static Node viewed(Node n, Set<Node> computed) {
        while (!computed.contains(n) && n.op().view(n) != null) n = n.input(n.op().view(n).input());
        return n;
    }

    Phase phase(Node n) {
        if (n.op().hasSideEffects()) return Phase.UPDATE;
        if (forward.contains(n)) return Phase.FORWARD;
        if (tangentForward.contains(n)) return Phase.TANGENT_FORWARD;
        if (tangentBackward.contains(n)) return Phase.TANGENT_BACKWARD;
        return Phase.BACKWARD;
    }

    /** "matmul [128x784]·[784x500] → [128x500]": operands as the product uses them (transposes applied). */
    static String label(Node n) {
        return n.op().name() + " " + shapes(n);
    }

    /** "[128x784]·[784x500] → [128x500]"; an update fused with its gradient's GEMM writes into its parameter. */
    static String shapes(Node n) {
        String result = n.op().hasSideEffects() && n.op() instanceof ContainsProduct ? n.input(2).describe()
                : shape(n.shape());
        return operands(n) + " → " + result;
    }

    static String operands(Node n) {
        MatMul mm = n.op() instanceof MatMul ? (MatMul) n.op()
                : n.op() instanceof ContainsProduct ? ((ContainsProduct) n.op()).product() : null;
        if (mm != null) {
            String product = effective(n.input(0).shape(), mm.transA()) + "·" + effective(n.input(1).shape(), mm.transB());
            return n.arity() > 2 && !n.op().hasSideEffects() ? product + " + " + shape(n.input(2).shape()) : product;
        }
        List<Node> in = n.inputs();
        return in.stream().map(i -> shape(i.shape())).collect(Collectors.joining(", "));
    }

    /** "[128x500]", and "scalar" for a rank-0 shape (not "[]"). */
    static String shape(Shape s) {
        return s.rank() == 0 ? "scalar" : s.toString();
    }

    /**
     * The name a person knows a leaf by: a parameter's or input's own name, and for an HVP's tangent input (named
     * v71.0.weight inside, the counter keeping it unique) the parameter it goes with: v(0.weight).
     */
    static String leafName(Node leaf) {
        if (leaf.name() == null) return leaf.op().name();
        Matcher m = TANGENT_NAME.matcher(leaf.name());
        return leaf.op().storage() == Storage.INPUT && m.matches() ? "v(" + m.group(1) + ")" : leaf.name();
    }

    /** "parameter", "state", "input", "tangent input", "constant". */
    static String leafKind(Node leaf, Set<Node> tangents) {
        if (tangents.contains(leaf)) return "tangent input";
        return switch (leaf.op().storage()) {
            case VARIABLE -> ((Variable) leaf.op()).trainable() ? "parameter" : "state";
            case INPUT -> "input";
            case CONSTANT -> "constant";
            case COMPUTED -> "computed";
        };
    }

    private static Shape effective(Shape s, boolean transposed) {
        return transposed && s.rank() == 2 ? Shape.of(s.dim(1), s.dim(0)) : s;
    }
}

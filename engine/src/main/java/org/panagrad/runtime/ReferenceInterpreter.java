package org.panagrad.runtime;

import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;

import java.util.HashMap;
import java.util.Map;

/**
 * Evaluates a graph op by op in float64 with plain loops. Slow and obviously right: the oracle that kernels,
 * compiler passes and the memory planner are tested against, and the place for finite-difference checks.
 */
public final class ReferenceInterpreter {
    private ReferenceInterpreter() {}

    /**
     * Values of {@code outputs}, given values for every input, label and variable they depend on
     * (labels as class indices in doubles).
     */
    public static Map<Node, double[]> evaluate(Iterable<Node> outputs, Map<Node, double[]> leaves) {
        Map<Node, double[]> values = new HashMap<>(leaves);
        for (Node out : outputs) fill(out, values);
        return values;
    }

    /** Convenience for one output. */
    public static double[] evaluate(Node output, Map<Node, double[]> leaves) {
        return evaluate(java.util.List.of(output), leaves).get(output);
    }

    // Iterative over ids, so that deep graphs do not overflow the stack.
    private static void fill(Node out, Map<Node, double[]> values) {
        java.util.BitSet needed = new java.util.BitSet();
        needed.set(out.id());
        for (int id = out.id(); id >= 0; id--) {
            if (!needed.get(id)) continue;
            Node n = out.graph().nodes().get(id);
            if (values.containsKey(n)) continue;
            for (int i = 0; i < n.arity(); i++) needed.set(n.input(i).id());
        }
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            Node n = out.graph().nodes().get(id);
            if (values.containsKey(n)) continue;
            if (n.op().storage() == Storage.INPUT || n.op().storage() == Storage.VARIABLE) {
                throw new IllegalArgumentException("no value given for " + n.op().name() + " " + n.describe());
            }
            double[][] ins = new double[n.arity()][];
            for (int i = 0; i < ins.length; i++) ins[i] = values.get(n.input(i));
            double[] result = new double[n.shape().numel()];
            n.op().reference(n, ins, result);
            values.put(n, result);
        }
    }
}

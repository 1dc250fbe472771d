package org.panagrad.onnx;

import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;

import java.util.HashMap;
import java.util.Map;

/**
 * Which dimensions of each node follow the batch size: the forward pass is built at two batch sizes and walked
 * in step from the outputs, and a dimension that differs between the two builds is symbolic. No op needs to
 * say how it propagates the batch axis, and a reshape that folds the batch into another axis is found too.
 */
final class SymbolicDims {
    /** The two batch sizes; the first build is the one exported. */
    static final int BATCH = 2, OTHER_BATCH = 3;

    private final Map<Node, Node> inputPairs = new HashMap<>();
    private final Map<Node, int[]> scale = new HashMap<>();

    /**
     * For each node of {@code main} reachable from its outputs, the factor by which each dimension grows with
     * the batch (0 for a static dimension).
     */
    SymbolicDims(Signature main, Signature other) {
        if (!main.inputs().keySet().equals(other.inputs().keySet()) || !main.outputs().keySet().equals(other.outputs().keySet())) {
            throw new IllegalStateException("the model's inputs and outputs change names with the batch size");
        }
        main.inputs().forEach((name, n) -> inputPairs.put(n, other.inputs().get(name)));
        main.outputs().forEach((name, n) -> pair(n, other.outputs().get(name)));
    }

    /** The factor of the batch size in each dimension of n: 0 where it is static, 1 for the batch axis itself. */
    int[] factors(Node n) {
        int[] f = scale.get(n);
        if (f == null) throw new IllegalStateException(n.describe() + " is not part of the exported forward pass");
        return f;
    }

    boolean isStatic(Node n) {
        for (int f : factors(n)) if (f != 0) return false;
        return true;
    }

    /** The symbolic names of n's dimensions: "batch", "batch*k", or null where static. */
    String[] params(Node n) {
        int[] f = factors(n);
        String[] p = new String[f.length];
        for (int i = 0; i < f.length; i++) p[i] = f[i] == 0 ? null : f[i] == 1 ? "batch" : "batch*" + f[i];
        return p;
    }

    private void pair(Node a, Node b) {
        if (scale.containsKey(a)) return;
        String where = a.describe() + " (built for batch " + BATCH + ") and " + b.describe() + " (batch " + OTHER_BATCH + ")";
        if (!a.op().getClass().equals(b.op().getClass()) || a.arity() != b.arity() || a.shape().rank() != b.shape().rank()) {
            throw new IllegalStateException("the forward pass changes structure with the batch size: " + where);
        }
        if (a.op().storage() == Storage.INPUT && inputPairs.get(a) != b) {
            throw new IllegalStateException("input " + a.describe() + " is not among the exported inputs");
        }
        if (a.op().storage() == Storage.VARIABLE && a != b) {
            throw new IllegalStateException("the two builds of the forward pass use different parameters: " + where);
        }
        if (a.op().storage() != Storage.INPUT && a.op().storage() != Storage.VARIABLE && a.arity() > 0
                && !a.op().equals(b.op())) {
            throw new IllegalStateException("an op's settings change with the batch size: " + where);
        }
        int[] f = new int[a.shape().rank()];
        for (int i = 0; i < f.length; i++) {
            int da = a.shape().dim(i), db = b.shape().dim(i);
            if (da == db) continue;
            // d = k * batch at both sizes: a dimension that follows the batch.
            if (da % BATCH != 0 || db % OTHER_BATCH != 0 || da / BATCH != db / OTHER_BATCH) {
                throw new IllegalStateException("dimension " + i + " is not a multiple of the batch size: " + where);
            }
            f[i] = da / BATCH;
        }
        scale.put(a, f);
        for (int k = 0; k < a.arity(); k++) pair(a.input(k), b.input(k));
    }
}

package org.panagrad.runtime;

import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values of a graph's variables (parameters and state), outside every program's arena. Every program
 * compiled against one store reads and updates the same arrays, with no copies: a training step, an
 * evaluation pass and an HVP see the same weights.
 */
public final class ParameterStore {
    private final Map<Node, float[]> values = new LinkedHashMap<>();

    /** The array holding a variable's values, created as zeros on first use. */
    public float[] get(Node variable) {
        if (variable.op().storage() != Storage.VARIABLE) {
            throw new IllegalArgumentException(variable.describe() + " is not a parameter or state variable");
        }
        return values.computeIfAbsent(variable, v -> new float[v.shape().numel()]);
    }

    /** Copies values into a variable. */
    public void set(Node variable, float[] newValues) {
        float[] dst = get(variable);
        if (newValues.length != dst.length) {
            throw new IllegalArgumentException(variable.describe() + " holds " + dst.length + " values, got " + newValues.length);
        }
        System.arraycopy(newValues, 0, dst, 0, dst.length);
    }

    /** The variables that have values, in the order they were first used. */
    public List<Node> variables() {
        return Collections.unmodifiableList(new ArrayList<>(values.keySet()));
    }

    /** Whether a variable has values yet. */
    public boolean has(Node variable) {
        return values.containsKey(variable);
    }
}

package org.panagrad.ops;

import org.panagrad.graph.Node;

/** Arithmetic on derivative terms where null stands for an exact zero, so zeros never become nodes. */
public final class Tangents {
    private Tangents() {}

    public static Node add(Node a, Node b) {
        if (a == null) return b;
        if (b == null) return a;
        return Add.of(a, b);
    }

    public static Node sub(Node a, Node b) {
        if (b == null) return a;
        if (a == null) return Neg.of(b);
        return Sub.of(a, b);
    }

    /** The tangent of every input, or nulls. */
    public static boolean allZero(Node[] tangents) {
        for (Node t : tangents) if (t != null) return false;
        return true;
    }
}

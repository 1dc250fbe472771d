package org.panagrad.graph;

/**
 * A value that persists between runs in a parameter store: a trainable parameter, or state such as an
 * optimizer's moments. Programs compiled over one graph share it.
 */
public record Variable(String label, boolean trainable, int uid) implements Leaf {
    @Override
    public Storage storage() {
        return Storage.VARIABLE;
    }

    @Override
    public String name() {
        return trainable ? "parameter" : "state";
    }

    @Override
    public void reference(Node y, double[][] inputs, double[] out) {
        throw new IllegalStateException("variable " + y.describe() + " has no value");
    }
}

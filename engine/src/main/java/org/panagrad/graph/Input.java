package org.panagrad.graph;

/**
 * A value fed before each run. {@code classes} is 0 for float inputs and the number of classes for labels.
 * The uid gives each input its own identity, so that no pass ever merges two inputs.
 */
public record Input(String label, int classes, int uid) implements Leaf {
    @Override
    public Storage storage() {
        return Storage.INPUT;
    }

    /** The number of classes of a labels input (0 for a float input). */
    public static int classesOf(Node input) {
        return ((Input) input.op()).classes;
    }

    @Override
    public String name() {
        return classes > 0 ? "labels" : "input";
    }

    @Override
    public void reference(Node y, double[][] inputs, double[] out) {
        throw new IllegalStateException("input " + y.describe() + " was not fed");
    }
}

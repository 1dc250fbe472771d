package org.panagrad.graph;

import java.util.OptionalInt;

/**
 * A value fed before each run. {@code classes} is 0 for float inputs and the bound of an integer input (its
 * values lie in [0, classes)); {@code ignoreIndex}, when present, is one more value integer labels may hold:
 * positions a loss skips (PyTorch's ignore_index). The uid gives each input its own identity, so that no pass
 * ever merges two inputs.
 */
public record Input(String label, int classes, int uid, OptionalInt ignoreIndex) implements Leaf {
    public Input(String label, int classes, int uid) {
        this(label, classes, uid, OptionalInt.empty());
    }

    @Override
    public Storage storage() {
        return Storage.INPUT;
    }

    /** The number of classes of a labels input (0 for a float input). */
    public static int classesOf(Node input) {
        return ((Input) input.op()).classes;
    }

    /** The ignored label value of an integer input, if it has one. */
    public static OptionalInt ignoreIndexOf(Node input) {
        return ((Input) input.op()).ignoreIndex;
    }

    /** Whether an integer input may hold the value: in [0, classes), or its ignore index. */
    public boolean accepts(int value) {
        return (value >= 0 && value < classes) || (ignoreIndex.isPresent() && ignoreIndex.getAsInt() == value);
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

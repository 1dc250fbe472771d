package org.panagrad.nn;

import org.panagrad.ops.Ops;
import org.panagrad.graph.Node;

import java.util.Locale;

/** The elementwise nonlinearities an MLP can use between its layers. */
public enum Activation {
    RELU, TANH, SIGMOID;

    public Node apply(Node x) {
        switch (this) {
            case RELU: return Ops.relu(x);
            case TANH: return Ops.tanh(x);
            default: return Ops.sigmoid(x);
        }
    }

    /** The PyTorch module name: "ReLU", "Tanh", "Sigmoid". */
    public String torchName() {
        switch (this) {
            case RELU: return "ReLU";
            case TANH: return "Tanh";
            default: return "Sigmoid";
        }
    }

    /** Parses "relu", "ReLU", "tanh", "sigmoid" and the like. */
    public static Activation parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown activation '" + s + "' (expected relu, tanh or sigmoid)");
        }
    }
}

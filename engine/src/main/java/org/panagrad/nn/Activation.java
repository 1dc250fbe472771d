package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;

import java.util.Locale;

/** The elementwise nonlinearities an MLP can use between its layers, as stateless modules. */
public enum Activation implements StatelessModule {
    RELU, TANH, SIGMOID;

    @Override
    public Node forward(Node x, Forward f) {
        return apply(x);
    }

    @Override
    public String describe() {
        return torchName() + "()";
    }

    public Node apply(Node x) {
        return switch (this) {
            case RELU -> Ops.relu(x);
            case TANH -> Ops.tanh(x);
            case SIGMOID -> Ops.sigmoid(x);
        };
    }

    /** The PyTorch module name: "ReLU", "Tanh", "Sigmoid". */
    public String torchName() {
        return switch (this) {
            case RELU -> "ReLU";
            case TANH -> "Tanh";
            case SIGMOID -> "Sigmoid";
        };
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

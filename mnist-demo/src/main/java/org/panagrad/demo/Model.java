package org.panagrad.demo;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;

import java.util.List;

/** An MLP classifier over one graph and one parameter store, shared by every program compiled for it. */
final class Model {
    final Graph graph = new Graph();
    final Mlp mlp;
    final ParameterStore store = new ParameterStore();

    Model(int[] widths, Activation activation) {
        if (widths[widths.length - 1] != Mnist.CLASSES) {
            throw new IllegalArgumentException("the last layer must have " + Mnist.CLASSES + " outputs (one per class), got "
                    + widthsText(widths));
        }
        mlp = Mlp.create(graph, activation, widths);
    }

    /** "784-500-10", as --layers takes it. */
    static String widthsText(int[] widths) {
        StringBuilder s = new StringBuilder();
        for (int w : widths) s.append(s.length() == 0 ? "" : "-").append(w);
        return s.toString();
    }

    int inputWidth() {
        return mlp.widths()[0];
    }

    List<Node> parameters() {
        return mlp.parameters();
    }

    /** Inputs, logits and mean cross-entropy for one batch size. */
    Batch batch(String name, int size) {
        Node x = graph.input(name + ".x", size, inputWidth());
        Node y = graph.labels(name + ".y", size, Mnist.CLASSES);
        Forward pass = Forward.eval();
        Node logits = mlp.forward(x, pass);
        return new Batch(size, x, y, logits, SoftmaxCrossEntropy.of(logits, y), pass.layerCalls());
    }

    /** @param layers the layer calls of the forward pass, for the curvature methods that use the layers' structure */
    record Batch(int size, Node images, Node labels, Node logits, Node loss, List<LayerCall> layers) {}
}

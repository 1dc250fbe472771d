package org.panagrad.demo;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.Mlp;
import org.panagrad.nn.Module;
import org.panagrad.nn.StateEntry;
import org.panagrad.nn.zoo.Zoo;
import org.panagrad.nn.zoo.ZooModel;
import org.panagrad.nn.zoo.ZooOptions;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A classifier from the zoo (an MLP, lenet5, resnet8, ...) over one graph and one parameter store, shared by every
 * program compiled for it.
 */
final class Model {
    final Graph graph = new Graph();
    final ZooModel zoo;
    final Module module;
    /** The MLP when the model is one (its widths and activation name its checkpoints), else null. */
    final Mlp mlp;
    final ParameterStore store = new ParameterStore();

    Model(int[] widths, Activation activation) {
        this("mlp", new ZooOptions(widths, activation));
    }

    Model(String name, ZooOptions options) {
        if (name.equals("mlp")) {
            int[] widths = options.mlpWidths();
            if (widths[widths.length - 1] != Mnist.CLASSES) {
                throw new IllegalArgumentException("the last layer must have " + Mnist.CLASSES + " outputs (one per class), got "
                        + widthsText(widths));
            }
        }
        zoo = Zoo.create(name, graph, options);
        module = zoo.module();
        mlp = module instanceof Mlp m ? m : null;
    }

    /** The zoo name: "mlp", "lenet5", "resnet8". */
    String name() {
        return zoo.name();
    }

    /** "784-500-10", as --layers takes it. */
    static String widthsText(int[] widths) {
        StringBuilder s = new StringBuilder();
        for (int w : widths) s.append(s.length() == 0 ? "" : "-").append(w);
        return s.toString();
    }

    /** Floats per image the model reads (784 for every model on 28x28 images). */
    int inputWidth() {
        return zoo.exampleSize();
    }

    /** PyTorch's repr of the model, for metadata and titles. */
    String torchModule() {
        return mlp != null ? Checkpoint.torchModule(mlp.widths(), mlp.activation()) : module.describe();
    }

    void initialize(Init init, long seed) {
        module.initialize(store, init, new SplittableRandom(seed));
    }

    /** The trainable parameters in state-dict order. */
    List<Node> parameters() {
        List<Node> ps = new ArrayList<>();
        for (StateEntry e : module.state()) if (e.trainable()) ps.add(e.node());
        return ps;
    }

    /**
     * Everything a training step may change in the model: the parameters and the buffers (batch norm's running
     * statistics and counter), in state-dict order; what a skipped step must put back.
     */
    List<Node> stateNodes() {
        List<Node> nodes = new ArrayList<>();
        for (StateEntry e : module.state()) nodes.add(e.node());
        return nodes;
    }

    long parameterCount() {
        long n = 0;
        for (Node p : parameters()) n += p.shape().numel();
        return n;
    }

    /** Inputs, logits and mean cross-entropy for one batch size, in evaluation mode (running statistics, no dropout). */
    Batch batch(String name, int size) {
        return batch(name, size, Forward.eval());
    }

    /**
     * The same in training mode: batch statistics, dropout, and the state updates (running statistics) that a
     * training step runs.
     */
    Batch trainingBatch(String name, int size) {
        return batch(name, size, Forward.train());
    }

    private Batch batch(String name, int size, Forward f) {
        Node x = zoo.input(graph, name + ".x", size);
        Node y = graph.labels(name + ".y", size, Mnist.CLASSES);
        Node logits = module.forward(x, f);
        return new Batch(size, x, y, logits, SoftmaxCrossEntropy.of(logits, y), f.stateUpdates(), f.layerCalls());
    }

    /** @param layers the layer calls of the forward pass, for the curvature methods that use the layers' structure */
    record Batch(int size, Node images, Node labels, Node logits, Node loss, List<Node> stateUpdates, List<LayerCall> layers) {}
}

package org.panagrad.spark;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Forward;
import org.panagrad.runtime.ParameterStore;

import java.util.List;

/**
 * A classifier built in a graph from a {@link ModelSpec}: what the distributed operations need of a model of the
 * engine's zoo. Shards hold each example as a flat row of {@link #inputWidth} floats, which is the memory layout
 * of the model's input of any shape ([batch, 784] for an MLP, [batch, 1, 28, 28] for a CNN); the loss is softmax
 * cross-entropy over its logits.
 */
public interface Classifier {
    /** Floats per example. */
    int inputWidth();

    int classes();

    /** An input of {@code batch} examples in the model's shape. */
    Node input(Graph g, String name, int batch);

    /**
     * Logits [batch, classes] for an {@link #input} in the pass's mode; may be called for several batch sizes. A
     * training pass normalises with the batch's statistics, drops out, and collects the running statistics' updates.
     */
    Node logits(Node x, Forward pass);

    /** Evaluation-mode logits: running statistics, no dropout, no side effects. */
    default Node logits(Node x) {
        return logits(x, Forward.eval());
    }

    /** The trainable parameters, in the order of the flat parameter vector. */
    List<Node> parameters();

    /** The state that training updates but no gradient touches (batch norm's running statistics), in a fixed order. */
    List<Node> buffers();

    /** Seeded initial values, the same on every JVM. */
    void initialize(ParameterStore store, long seed);
}

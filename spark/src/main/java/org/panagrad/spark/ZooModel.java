package org.panagrad.spark;

import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.List;

/**
 * A classifier built in a graph from a {@link ModelSpec}: what the distributed operations need of a model.
 * Inputs are flat feature rows ([batch, inputWidth]); the loss is softmax cross-entropy over its logits.
 */
public interface ZooModel {
    int inputWidth();

    int classes();

    /** Logits [batch, classes] for x [batch, inputWidth]; may be called for several batch sizes. */
    Node logits(Node x);

    /** The parameters, in the order of the flat parameter vector. */
    List<Node> parameters();

    /** Seeded initial values, the same on every JVM. */
    void initialize(ParameterStore store, long seed);
}

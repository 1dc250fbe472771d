package org.panagrad.nn;

import org.panagrad.graph.Node;

/**
 * One application of a layer in a forward pass: the layer, its state-dict name, the node it read and the
 * node it produced (before any activation). Curvature methods that exploit a layer's structure (per-sample
 * gradients, Kronecker factors) find their layers here, and name the ones they do not support.
 */
public record LayerCall(String name, Module layer, Node input, Node output) {}

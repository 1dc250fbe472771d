package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A layer or a model: it builds its part of a forward pass and owns state named as in PyTorch's state dict.
 * Parameters are graph nodes created with their full names when the module is created, so the graph's
 * parameters, the state dict and a checkpoint agree by name.
 */
public interface Module {
    /** The output for {@code x}; layers with structure curvature methods use record themselves in {@code f}. */
    Node forward(Node x, Forward f);

    /** Parameters and buffers in PyTorch's state-dict order; empty for stateless modules such as ReLU. */
    List<StateEntry> state();

    /**
     * Draws the parameters and resets the buffers. {@code init} chooses the weights' initialiser; TORCH_DEFAULT
     * gives each layer PyTorch's own reset_parameters.
     */
    void initialize(ParameterStore store, Init init, SplittableRandom rnd);

    /** PyTorch's repr of the module: "Linear(784, 500)", "ReLU()". */
    String describe();
}

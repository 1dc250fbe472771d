package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.SplittableRandom;

/**
 * y = x W^T + b with W of shape [out, in], PyTorch's layout, so checkpoints need no conversion; the GEMM
 * reads W transposed from its packed panels at no cost.
 */
public record Linear(Node weight, Node bias) {
    public static Linear create(Graph g, String prefix, int in, int out) {
        return new Linear(g.parameter(prefix + ".weight", out, in), g.parameter(prefix + ".bias", out));
    }

    public int in() {
        return weight.shape().dim(1);
    }

    public int out() {
        return weight.shape().dim(0);
    }

    public Node apply(Node x) {
        return x.matmul(weight, false, true).add(bias);
    }

    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        init.weights(store.get(weight), in(), out(), rnd);
        init.bias(store.get(bias), in(), rnd);
    }
}

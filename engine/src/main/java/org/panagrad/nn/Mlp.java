package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A multilayer perceptron: Linear layers with an activation between them and none after the last, which
 * gives logits. Parameters are named as in PyTorch's nn.Sequential(Linear, act, Linear, ...): "0.weight",
 * "0.bias", "2.weight", ...
 */
public final class Mlp implements Module {
    private final int[] widths;
    private final Activation activation;
    private final List<Linear> layers;
    private final Sequential net;

    private Mlp(int[] widths, Activation activation, List<Linear> layers, Sequential net) {
        this.widths = widths;
        this.activation = activation;
        this.layers = layers;
        this.net = net;
    }

    public static Mlp create(Graph g, Activation activation, int... widths) {
        if (widths.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output width, got " + Arrays.toString(widths));
        }
        List<Linear> layers = new ArrayList<>();
        Sequential.Builder b = Sequential.builder(g, "");
        for (int i = 0; i + 1 < widths.length; i++) {
            int in = widths[i], out = widths[i + 1];
            b.add((graph, name) -> {
                Linear l = Linear.create(graph, name, in, out);
                layers.add(l);
                return l;
            });
            if (i + 2 < widths.length) b.add(activation);
        }
        return new Mlp(widths.clone(), activation, Collections.unmodifiableList(layers), b.build());
    }

    /** Parses "784-500-10". */
    public static int[] parseWidths(String s) {
        String[] parts = s.trim().split("-");
        int[] w = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                w[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("layer widths must look like 784-500-10, got '" + s + "'");
            }
            if (w[i] <= 0) throw new IllegalArgumentException("layer widths must be positive, got '" + s + "'");
        }
        if (w.length < 2) throw new IllegalArgumentException("layer widths need at least two numbers, got '" + s + "'");
        return w;
    }

    /** Logits for a batch x of shape [batch, widths[0]]. */
    public Node forward(Node x) {
        return forward(x, Forward.eval());
    }

    @Override
    public Node forward(Node x, Forward f) {
        return net.forward(x, f);
    }

    /** The parameters in layer order: W0, b0, W1, b1, ... */
    public List<Node> parameters() {
        List<Node> ps = new ArrayList<>();
        for (StateEntry e : state()) ps.add(e.node());
        return ps;
    }

    @Override
    public List<StateEntry> state() {
        return net.state();
    }

    public void initialize(ParameterStore store, Init init, long seed) {
        initialize(store, init, new SplittableRandom(seed));
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        net.initialize(store, init, rnd);
    }

    @Override
    public String describe() {
        return net.describe();
    }

    public List<Linear> layers() {
        return layers;
    }

    public int[] widths() {
        return widths.clone();
    }

    public Activation activation() {
        return activation;
    }

    public long parameterCount() {
        long n = 0;
        for (Node p : parameters()) n += p.shape().numel();
        return n;
    }
}

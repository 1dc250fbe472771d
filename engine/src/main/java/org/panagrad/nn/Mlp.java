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
public final class Mlp {
    private final int[] widths;
    private final Activation activation;
    private final List<Linear> layers;

    private Mlp(int[] widths, Activation activation, List<Linear> layers) {
        this.widths = widths;
        this.activation = activation;
        this.layers = layers;
    }

    public static Mlp create(Graph g, Activation activation, int... widths) {
        if (widths.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output width, got " + Arrays.toString(widths));
        }
        List<Linear> layers = new ArrayList<>();
        for (int i = 0; i + 1 < widths.length; i++) layers.add(Linear.create(g, String.valueOf(2 * i), widths[i], widths[i + 1]));
        return new Mlp(widths.clone(), activation, Collections.unmodifiableList(layers));
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
        Node h = x;
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).apply(h);
            if (i + 1 < layers.size()) h = activation.apply(h);
        }
        return h;
    }

    /** The parameters in layer order: W0, b0, W1, b1, ... */
    public List<Node> parameters() {
        List<Node> ps = new ArrayList<>();
        for (Linear l : layers) {
            ps.add(l.weight());
            ps.add(l.bias());
        }
        return ps;
    }

    public void initialize(ParameterStore store, Init init, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Linear l : layers) l.initialize(store, init, rnd);
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

package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** nn.LayerNorm over the trailing dims {@code shape}, with weight (ones) and bias (zeros) of that shape. */
public record LayerNorm(String name, int[] shape, double eps, Node weight, Node bias) implements Module {
    public static LayerNorm create(Graph g, String name, double eps, int... shape) {
        return new LayerNorm(name, shape.clone(), eps, g.parameter(name + ".weight", shape), g.parameter(name + ".bias", shape));
    }

    public Node apply(Node x) {
        return Ops.layerNorm(x, shape, weight, bias, eps);
    }

    @Override
    public Node forward(Node x, Forward f) {
        return f.record(name, this, x, apply(x));
    }

    @Override
    public List<StateEntry> state() {
        return List.of(StateEntry.same(name + ".weight", weight, true), StateEntry.same(name + ".bias", bias, true));
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        Arrays.fill(store.get(weight), 1f);
        Arrays.fill(store.get(bias), 0f);
    }

    @Override
    public String describe() {
        String dims = Arrays.toString(shape).replace('[', '(').replace(']', ')');
        if (shape.length == 1) dims = "(" + shape[0] + ",)";
        return "LayerNorm(" + dims + ", eps=" + eps + ", elementwise_affine=True)";
    }
}

package org.panagrad.spark;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The models a {@link ModelSpec} can name. Each entry turns a spec's options into a {@link ZooModel} in a
 * graph; a new architecture (the engine's CNN and transformer zoo models as they land) is one more entry here,
 * and everything distributed (data, gradients, curvature, optimizers, commands) works on it unchanged.
 */
public final class ModelZoo {
    public static final String MLP = "mlp";

    private static final Map<String, BiFunction<ModelSpec, Graph, ZooModel>> ENTRIES = Map.of(MLP, ModelZoo::mlp);

    private ModelZoo() {}

    public static ZooModel build(ModelSpec spec, Graph graph) {
        BiFunction<ModelSpec, Graph, ZooModel> entry = ENTRIES.get(spec.zoo());
        if (entry == null) {
            throw new IllegalArgumentException("unknown model '" + spec.zoo() + "' in " + spec + "; the zoo has "
                    + new java.util.TreeSet<>(ENTRIES.keySet()));
        }
        return entry.apply(spec, graph);
    }

    /** Options: widths (784-500-10), activation (relu, tanh, sigmoid); He-uniform weights, zero biases. */
    private static ZooModel mlp(ModelSpec spec, Graph graph) {
        int[] widths = Mlp.parseWidths(spec.option("widths"));
        Mlp mlp = Mlp.create(graph, Activation.parse(spec.option("activation")), widths);
        return new ZooModel() {
            @Override
            public int inputWidth() {
                return widths[0];
            }

            @Override
            public int classes() {
                return widths[widths.length - 1];
            }

            @Override
            public Node logits(Node x) {
                return mlp.forward(x);
            }

            @Override
            public List<Node> parameters() {
                return mlp.parameters();
            }

            @Override
            public void initialize(ParameterStore store, long seed) {
                mlp.initialize(store, Init.HE_UNIFORM, seed);
            }
        };
    }
}

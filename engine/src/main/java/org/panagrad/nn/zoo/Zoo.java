package org.panagrad.nn.zoo;

import org.panagrad.graph.Graph;
import org.panagrad.nn.Mlp;
import org.panagrad.nn.VisionTransformer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The models the demo, the benchmarks and the tests share, by name. Adding one is one line in {@link #MODELS}:
 * a name and a factory that builds the model's module in a graph.
 */
public final class Zoo {
    private Zoo() {}

    /** Builds a zoo model's module in a graph, with its parameters named as in PyTorch. */
    @FunctionalInterface
    public interface Factory {
        ZooModel create(Graph g, ZooOptions options);
    }

    private static final Map<String, Factory> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("mlp", (g, o) -> new ZooModel("mlp", Mlp.create(g, o.activation(), o.mlpWidths()), new int[] {o.mlpWidths()[0]}));
        MODELS.put("lenet5", LeNet5::create);
        MODELS.put("resnet8", ResNet8::create);
        MODELS.put("vit-tiny", (g, o) -> new ZooModel("vit-tiny", VisionTransformer.vitTiny(g), new int[] {1, 28, 28}));
    }

    /** The zoo's model names, in the order they were added. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(MODELS.keySet());
    }

    /** Builds the model called {@code name}; an unknown name fails listing the known ones. */
    public static ZooModel create(String name, Graph g, ZooOptions options) {
        Factory f = MODELS.get(name);
        if (f == null) throw new IllegalArgumentException("unknown model '" + name + "' (the zoo has " + String.join(", ", names()) + ")");
        return f.create(g, options);
    }
}

package org.panagrad.spark;

import org.panagrad.nn.Activation;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a model is, small enough to travel with every task: a zoo name and its options as text ("mlp" with
 * widths 784-500-10 and activation relu). Executors turn it into a graph with {@link ModelZoo#build}, so any
 * model of the engine's zoo (mlp, lenet5, resnet8, vit-tiny) distributes the same way.
 * Options are kept sorted, so equal specs print, compare and fingerprint the same.
 */
public record ModelSpec(String zoo, Map<String, String> options) implements Serializable {
    public ModelSpec {
        if (zoo == null || zoo.isBlank()) throw new IllegalArgumentException("a model spec needs a zoo name");
        options = new TreeMap<>(options);
    }

    /** An MLP classifier, e.g. {@code mlp(Activation.RELU, 784, 500, 10)}. */
    public static ModelSpec mlp(Activation activation, int... widths) {
        StringBuilder w = new StringBuilder();
        for (int x : widths) w.append(w.length() == 0 ? "" : "-").append(x);
        return new ModelSpec(ModelZoo.MLP, Map.of("widths", w.toString(), "activation", activation.name().toLowerCase()));
    }

    /** A model of the engine's zoo without options: {@code zoo("lenet5")}, "resnet8", "vit-tiny". */
    public static ModelSpec zoo(String name) {
        return new ModelSpec(name, Map.of());
    }

    /** The option, or a clear error naming the model and the option. */
    public String option(String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("model " + this + " lacks the option '" + name + "'");
        }
        return value;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(zoo).append('(');
        boolean first = true;
        for (Map.Entry<String, String> e : options.entrySet()) {
            s.append(first ? "" : ", ").append(e.getKey()).append('=').append(e.getValue());
            first = false;
        }
        return s.append(')').toString();
    }
}

package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * Modules applied in order, named by their index as PyTorch's nn.Sequential names them: the state of the
 * module at index 2 of a Sequential named "features" is "features.2.weight". Stateless modules (ReLU,
 * Flatten, pooling) take an index too, so the names match PyTorch's.
 */
public final class Sequential implements Module {
    private final List<Module> modules;

    private Sequential(List<Module> modules) {
        this.modules = Collections.unmodifiableList(modules);
    }

    /** Builds a Sequential whose children's names start with {@code prefix} ("" at the top of a model). */
    public static Builder builder(Graph g, String prefix) {
        return new Builder(g, prefix);
    }

    /** Adds children one by one, naming each by its index as nn.Sequential does, then builds the Sequential. */
    public static final class Builder {
        private final Graph graph;
        private final String prefix;
        private final List<Module> modules = new ArrayList<>();

        private Builder(Graph graph, String prefix) {
            this.graph = graph;
            this.prefix = prefix;
        }

        /** The name the next module gets: the prefix and its index. */
        public String nextName() {
            return (prefix.isEmpty() ? "" : prefix + ".") + modules.size();
        }

        /** Adds a module made from the graph and its name, such as {@code (g, name) -> Linear.create(g, name, 784, 500)}. */
        public Builder add(BiFunction<Graph, String, Module> factory) {
            modules.add(factory.apply(graph, nextName()));
            return this;
        }

        /** Adds a stateless module. */
        public Builder add(Module stateless) {
            if (!stateless.state().isEmpty()) {
                throw new IllegalArgumentException(stateless.describe() + " has state: add it with a factory, so it is named "
                        + nextName());
            }
            modules.add(stateless);
            return this;
        }

        public Sequential build() {
            return new Sequential(new ArrayList<>(modules));
        }
    }

    public List<Module> modules() {
        return modules;
    }

    @Override
    public Node forward(Node x, Forward f) {
        Node h = x;
        for (Module m : modules) h = m.forward(h, f);
        return h;
    }

    @Override
    public List<StateEntry> state() {
        List<StateEntry> all = new ArrayList<>();
        for (Module m : modules) all.addAll(m.state());
        return all;
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        for (Module m : modules) m.initialize(store, init, rnd);
    }

    @Override
    public String describe() {
        StringBuilder s = new StringBuilder("Sequential(");
        for (int i = 0; i < modules.size(); i++) s.append(i == 0 ? "" : ", ").append(modules.get(i).describe());
        return s.append(')').toString();
    }
}

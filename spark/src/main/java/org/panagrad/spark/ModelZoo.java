package org.panagrad.spark;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.nn.StateEntry;
import org.panagrad.nn.zoo.Zoo;
import org.panagrad.nn.zoo.ZooModel;
import org.panagrad.nn.zoo.ZooOptions;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The engine's model zoo ({@link Zoo}: mlp, lenet5, resnet8, vit-tiny) seen as {@link Classifier}s, so that every
 * distributed operation (data, gradients, curvature, optimizers, commands) runs on any model the zoo knows.
 * <p>
 * Two modes, as a PyTorch user expects: training ({@link BarrierTraining}, {@link LocalSgd}) builds the
 * training-mode graph, batch norm on each partition's batch statistics (DistributedDataParallel without
 * SyncBatchNorm) with its running statistics updated, dropout on; the analysis jobs (loss, gradient, HVP, GGN,
 * L-BFGS, Newton-CG) use the evaluation-mode graph, batch norm on the running statistics and dropout off, so
 * the loss is a sum over examples, a function of the parameters alone, and partitions and chunks can cut the
 * data anywhere with the sums agreeing (batch statistics would make each chunk's loss depend on which examples
 * share it).
 * Options: an MLP's {@code widths} and {@code activation}; {@code init} (an {@link Init} name), He-uniform for an
 * MLP and PyTorch's default initialisation for the others when absent.
 */
public final class ModelZoo {
    public static final String MLP = "mlp";

    private ModelZoo() {}

    public static Classifier build(ModelSpec spec, Graph graph) {
        if (!Zoo.names().contains(spec.zoo())) {
            throw new IllegalArgumentException("unknown model '" + spec.zoo() + "' in " + spec + "; the zoo has " + Zoo.names());
        }
        boolean mlp = spec.zoo().equals(MLP);
        ZooOptions options = mlp
                ? new ZooOptions(Mlp.parseWidths(spec.option("widths")), Activation.parse(spec.option("activation")))
                : ZooOptions.DEFAULT;
        Init init = spec.options().containsKey("init") ? Init.valueOf(spec.option("init").toUpperCase(Locale.ROOT))
                : mlp ? Init.HE_UNIFORM : Init.TORCH_DEFAULT;
        ZooModel zoo = Zoo.create(spec.zoo(), graph, options);
        List<Node> parameters = new ArrayList<>(), buffers = new ArrayList<>();
        for (StateEntry e : zoo.module().state()) (e.trainable() ? parameters : buffers).add(e.node());
        int classes = zoo.module().forward(zoo.input(graph, "classes.probe", 1), Forward.eval()).shape().dim(1);
        return new Classifier() {
            @Override
            public int inputWidth() {
                return zoo.exampleSize();
            }

            @Override
            public int classes() {
                return classes;
            }

            @Override
            public Node input(Graph g, String name, int batch) {
                return zoo.input(g, name, batch);
            }

            @Override
            public Node logits(Node x, Forward pass) {
                return zoo.module().forward(x, pass);
            }

            @Override
            public List<Node> parameters() {
                return parameters;
            }

            @Override
            public List<Node> buffers() {
                return buffers;
            }

            @Override
            public void initialize(ParameterStore store, long seed) {
                zoo.module().initialize(store, init, new SplittableRandom(seed));
            }
        };
    }
}

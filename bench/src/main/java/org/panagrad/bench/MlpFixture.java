package org.panagrad.bench;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.SplittableRandom;

/** An MLP with a softmax cross-entropy loss on a random batch: what the training and HVP benchmarks run. */
final class MlpFixture {
    final Graph graph = new Graph();
    final ParameterStore store = new ParameterStore();
    final Mlp mlp;
    final Node x, labels, loss;
    /** The forward pass's layer calls, for the curvature programs. */
    final Forward pass = Forward.eval();
    final float[] images;
    final int[] classes;

    MlpFixture(String layers, int batch, long seed) {
        int[] widths = Mlp.parseWidths(layers);
        mlp = Mlp.create(graph, Activation.RELU, widths);
        x = graph.input("x", batch, widths[0]);
        labels = graph.labels("labels", batch, widths[widths.length - 1]);
        loss = SoftmaxCrossEntropy.of(mlp.forward(x, pass), labels);
        mlp.initialize(store, Init.TORCH_DEFAULT, seed);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        images = new float[batch * widths[0]];
        for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextDouble();
        classes = new int[batch];
        for (int i = 0; i < batch; i++) classes[i] = rnd.nextInt(widths[widths.length - 1]);
    }

    void feed(Program p) {
        p.set(x, images, 0);
        p.setLabels(labels, classes, 0);
    }
}

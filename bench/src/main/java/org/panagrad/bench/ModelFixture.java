package org.panagrad.bench;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
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
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model with a softmax cross-entropy loss on a random batch, in training mode (batch statistics, dropout): what
 * the training and HVP benchmarks run; or in evaluation mode (running statistics, no dropout), where the samples
 * are independent, as the per-sample curvature methods need for batch norm. The model is an MLP width list such
 * as "784-500-10" or a zoo name ("lenet5", "resnet8", "vit-tiny").
 */
final class ModelFixture {
    final Graph graph = new Graph();
    final ParameterStore store = new ParameterStore();
    final ZooModel model;
    final Node x, labels, logits, loss;
    /** The forward pass (training or evaluation mode), whose layer calls the curvature programs need. */
    final Forward pass;
    /** The running-statistics updates a training step runs (batch norm), empty for an MLP or in evaluation mode. */
    final List<Node> stateUpdates;
    final float[] images;
    final int[] classes;

    /** The model in training mode. */
    ModelFixture(String spec, int batch, long seed) {
        this(spec, batch, seed, true);
    }

    ModelFixture(String spec, int batch, long seed, boolean training) {
        pass = training ? Forward.train() : Forward.eval();
        boolean mlp = Character.isDigit(spec.charAt(0));
        ZooOptions options = mlp ? new ZooOptions(Mlp.parseWidths(spec), Activation.RELU) : ZooOptions.DEFAULT;
        model = Zoo.create(mlp ? "mlp" : spec, graph, options);
        int classCount = 10;
        if (mlp) classCount = options.mlpWidths()[options.mlpWidths().length - 1];
        x = model.input(graph, "x", batch);
        labels = graph.labels("labels", batch, classCount);
        logits = model.module().forward(x, pass);
        loss = SoftmaxCrossEntropy.of(logits, labels);
        stateUpdates = pass.stateUpdates();
        model.module().initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(seed));
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        images = new float[batch * model.exampleSize()];
        for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextDouble();
        classes = new int[batch];
        for (int i = 0; i < batch; i++) classes[i] = rnd.nextInt(classCount);
    }

    /** The trainable parameters in state-dict order. */
    List<Node> parameters() {
        List<Node> ps = new ArrayList<>();
        for (StateEntry e : model.module().state()) if (e.trainable()) ps.add(e.node());
        return ps;
    }

    /** The loss and its gradient in one program, fed with the batch: the baseline every curvature method is timed against. */
    Program compileGradient() {
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(Autodiff.grad(loss, parameters().toArray(new Node[0]))));
        Program gradient = Compiler.compile(store, outputs);
        feed(gradient);
        return gradient;
    }

    /** The training step with this optimizer (and batch norm's running statistics), fed with the batch. */
    TrainingStep compileStep(Optimizer optimizer) {
        TrainingStep step = TrainingStep.compile(store, loss, parameters(), optimizer, false, stateUpdates);
        feed(step.program());
        return step;
    }

    /** A Hessian-vector product of the loss, forward over reverse or reverse over reverse, without the gradient, fed with the batch. */
    CurvatureProduct compileHvp(boolean forwardOverReverse) {
        CurvatureProduct hvp = CurvatureProduct.compile(store, loss, parameters(), forwardOverReverse
                ? CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE : CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE, false);
        feed(hvp.program());
        return hvp;
    }

    /** n random signs (+-1, seed 7): the vector the HVP benchmarks multiply. */
    static float[] signVector(int n) {
        float[] v = new float[n];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < n; i++) v[i] = rnd.nextBoolean() ? 1f : -1f;
        return v;
    }

    void feed(Program p) {
        p.set(x, images, 0);
        p.setLabels(labels, classes, 0);
    }
}

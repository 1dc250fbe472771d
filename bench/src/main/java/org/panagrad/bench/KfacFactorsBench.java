package org.panagrad.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.curvature.LayerBackprop;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Kronecker factors of every Linear layer (issue 21's target: K-FAC's at most 1.5x a batch gradient, with no
 * allocation) against the batch gradient on the same model and batch: K-FAC's with one sampled label per example
 * (forward, one backward to the layer outputs, A = a'a / B and G = g'g / B) and KFLR's exact ones (a backward per
 * class). Run with {@code -prof gc} for the bytes allocated per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KfacFactorsBench {
    @Param({"784-500-10"})
    public String layers;

    @Param({"128"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private Program gradient;
    private LayerBackprop kfac, kflr;
    private final SplittableRandom rnd = new SplittableRandom(3);

    @Setup(Level.Trial)
    public void setUp() {
        Gemm.setThreads(threads);
        int[] widths = Mlp.parseWidths(layers);
        Graph graph = new Graph();
        ParameterStore store = new ParameterStore();
        Mlp mlp = Mlp.create(graph, Activation.RELU, widths);
        mlp.initialize(store, Init.TORCH_DEFAULT, 42);
        Node x = graph.input("x", batch, widths[0]);
        Node labels = graph.labels("labels", batch, widths[widths.length - 1]);
        Forward pass = Forward.eval();
        Node logits = mlp.forward(x, pass);
        Node loss = SoftmaxCrossEntropy.of(logits, labels);
        SplittableRandom data = new SplittableRandom(43);
        float[] images = new float[batch * widths[0]];
        for (int i = 0; i < images.length; i++) images[i] = (float) data.nextDouble();
        int[] classes = new int[batch];
        for (int i = 0; i < batch; i++) classes[i] = data.nextInt(widths[widths.length - 1]);
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(Autodiff.grad(loss, mlp.parameters().toArray(new Node[0]))));
        gradient = Compiler.compile(store, outputs);
        gradient.set(x, images);
        gradient.setLabels(labels, classes);
        kfac = LayerBackprop.compile(store, logits, pass.layerCalls(), LayerBackprop.Vectors.SAMPLED, "KFAC", true, false);
        kflr = LayerBackprop.compile(store, logits, pass.layerCalls(), LayerBackprop.Vectors.HESSIAN_FACTOR, "KFLR", true, false);
        kfac.program().set(x, images);
        kflr.program().set(x, images);
    }

    @Benchmark
    public float gradient() {
        gradient.run();
        return gradient.scalar(gradient.outputs().get(0));
    }

    @Benchmark
    public Program kfacFactors() {
        kfac.run(rnd);
        return kfac.program();
    }

    @Benchmark
    public Program kflrFactors() {
        kflr.run(rnd);
        return kflr.program();
    }
}

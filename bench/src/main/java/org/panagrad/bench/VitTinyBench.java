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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.VisionTransformer;
import org.panagrad.ops.Ops;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * vit-tiny at batch 128 on random 28 x 28 images: one AdamW training step, a gradient (forward and backward) and a
 * Hessian-vector product (reverse over reverse), as compare_vit.py times them in PyTorch (the step with AdamW; the
 * HVP by double backward). Targets: step at least 1.2x PyTorch's throughput; HVP at most 1.8x the gradient and at
 * most 0.5x PyTorch's double backward.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class VitTinyBench {
    @Param({"1", "2"})
    public int threads;

    @Param({"128"})
    public int batch;

    private TrainingStep step;
    /** Read by {@link VitTinyInstructions}, which times their instructions. */
    Program gradient;
    CurvatureProduct hvp;
    private float[] v, out;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        compile();
        SteadyWarmUp.untilSteady(benchmark, this);
    }

    /** The programs, fed with a random batch; {@link VitTinyInstructions} calls it outside JMH. */
    void compile() {
        Gemm.setThreads(threads);
        Graph g = new Graph();
        VisionTransformer vit = VisionTransformer.vitTiny(g);
        ParameterStore store = new ParameterStore();
        SplittableRandom rnd = new SplittableRandom(1);
        vit.initialize(store, Init.TORCH_DEFAULT, rnd);
        Node x = g.input("x", batch, 784), y = g.labels("y", batch, 10);
        Node loss = Ops.crossEntropy(vit.forward(x, Forward.train()), y);
        List<Node> params = vit.parameters();
        step = TrainingStep.compile(store, loss, params, Adam.adamW(LearningRateSchedule.constant(1e-4), 0.05), false);
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(Autodiff.grad(loss, params.toArray(new Node[0]))));
        gradient = Compiler.compile(store, outputs);
        hvp = CurvatureProduct.compile(store, loss, params, CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE, false);
        float[] images = new float[batch * 784];
        int[] labels = new int[batch];
        for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextDouble();
        for (int i = 0; i < batch; i++) labels[i] = rnd.nextInt(10);
        for (Program p : List.of(step.program(), gradient, hvp.program())) {
            p.set(x, images);
            p.setLabels(y, labels);
        }
        v = new float[hvp.dimension()];
        out = new float[v.length];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextBoolean() ? 1f : -1f;
    }

    @Benchmark
    public float trainStep() {
        return step.run();
    }

    @Benchmark
    public float gradient() {
        gradient.run();
        return gradient.scalar(gradient.outputs().get(0));
    }

    @Benchmark
    public float hvp() {
        hvp.apply(v, out);
        return out[0];
    }
}

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
import org.panagrad.curvature.LayerBackprop;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.runtime.Program;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Kronecker factors of every Linear and Conv2d layer (issue 21's target: K-FAC's at most 1.5x a batch
 * gradient, with no allocation) against the batch gradient on the same model and batch ({@link ModelFixture}: an
 * MLP width list or a zoo name): K-FAC's with one sampled label per example (forward, one backward to the layer
 * outputs, A = a'a / B and G = g'g / B; a Conv2d's KFC factors over its output positions) and KFLR's exact ones (a
 * backward per class). Run with {@code -prof gc} for the bytes allocated per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KfacFactorsBench {
    @Param({"784-500-10", "lenet5"})
    public String model;

    @Param({"128"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private Program gradient;
    private LayerBackprop kfac, kflr;
    private final SplittableRandom rnd = new SplittableRandom(3);

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(model, batch, 42);
        gradient = f.compileGradient();
        kfac = LayerBackprop.compile(f.store, f.logits, f.pass.layerCalls(), LayerBackprop.Vectors.SAMPLED, "KFAC", true, false);
        kflr = LayerBackprop.compile(f.store, f.logits, f.pass.layerCalls(), LayerBackprop.Vectors.HESSIAN_FACTOR, "KFLR", true, false);
        kfac.program().set(f.x, f.images, 0);
        kflr.program().set(f.x, f.images, 0);
        SteadyWarmUp.untilSteady(benchmark, this);
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

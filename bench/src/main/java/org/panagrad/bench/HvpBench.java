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
import org.panagrad.analysis.LinearOperator;
import org.panagrad.kernels.Gemm;
import org.panagrad.runtime.Program;

import java.util.concurrent.TimeUnit;

/**
 * A gradient (forward and backward) against a Hessian-vector product in each mode, on the same model and
 * batch, so that the cost of an HVP in gradients can be read off the ratio; and the same products at a fixed
 * point, as power iteration, Lanczos and CG use them (everything that does not depend on v computed once).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class HvpBench {
    /** An MLP width list ("784-500-10") or a zoo name ("lenet5", "resnet8"). */
    @Param({"784-500-10", "lenet5", "resnet8"})
    public String model;

    /** The old name of {@link #model}, kept as an alias until every script has moved: when given, it wins. */
    @Param({""})
    public String layers;

    @Param({"128"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private Program gradient;
    private CurvatureProduct reverseOverReverse, forwardOverReverse;
    private LinearOperator reverseOverReverseAtPoint, forwardOverReverseAtPoint;
    private float[] v, out;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(layers.isEmpty() ? model : layers, batch, 42);
        gradient = f.compileGradient();
        reverseOverReverse = f.compileHvp(false);
        forwardOverReverse = f.compileHvp(true);
        reverseOverReverseAtPoint = reverseOverReverse.atCurrentPoint();
        forwardOverReverseAtPoint = forwardOverReverse.atCurrentPoint();
        v = ModelFixture.signVector(reverseOverReverse.dimension());
        out = new float[v.length];
        SteadyWarmUp.untilSteady(benchmark, this);
    }

    @Benchmark
    public float gradient() {
        gradient.run();
        return gradient.scalar(gradient.outputs().get(0));
    }

    @Benchmark
    public float hvpReverseOverReverse() {
        reverseOverReverse.apply(v, out);
        return out[0];
    }

    @Benchmark
    public float hvpForwardOverReverse() {
        forwardOverReverse.apply(v, out);
        return out[0];
    }

    /** Products at a fixed point (CurvatureProduct.atCurrentPoint): only what depends on v reruns. */
    @Benchmark
    public float hvpReverseOverReverseAtPoint() {
        reverseOverReverseAtPoint.apply(v, out);
        return out[0];
    }

    @Benchmark
    public float hvpForwardOverReverseAtPoint() {
        forwardOverReverseAtPoint.apply(v, out);
        return out[0];
    }
}

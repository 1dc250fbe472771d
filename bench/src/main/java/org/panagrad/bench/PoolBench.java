package org.panagrad.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.panagrad.kernels.ConvShape;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.Pooling;

/**
 * lenet5's two max pools (2 x 2 at stride 2) at batch 128: the forward pass, its VJP (the gradient's scatter to the
 * arg-max) and the VJP's adjoint (the HVP's gather of the tangent at the arg-max), on the kernels the programs call.
 * {@code -p shape=lenet5.2 -p op=gather -p threads=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PoolBench {
    static final int BATCH = 128;

    /** lenet5.2 pools 6 x 28 x 28, lenet5.5 pools 16 x 10 x 10 (the zoo's module indices). */
    @Param({"lenet5.2", "lenet5.5"}) public String shape;
    @Param({"max", "scatter", "gather"}) public String op;
    @Param({"1", "2"}) public int threads;

    private ConvShape s;
    private float[] x, c, y, dx;

    @Setup
    public void setup() {
        Gemm.setThreads(threads);
        s = switch (shape) {
            case "lenet5.2" -> new ConvShape(BATCH, 6, 28, 28, 6, 2, 2, 2, 2, 0, 0, 1, 1, 6);
            case "lenet5.5" -> new ConvShape(BATCH, 16, 10, 10, 16, 2, 2, 2, 2, 0, 0, 1, 1, 16);
            default -> throw new IllegalArgumentException("unknown shape " + shape + "; one of lenet5.2, lenet5.5");
        };
        Random rnd = new Random(1);
        x = GemmBench.random(rnd, BATCH * s.imageSize());
        c = GemmBench.random(rnd, x.length);
        y = GemmBench.random(rnd, BATCH * s.outImageSize());
        dx = new float[x.length];
    }

    @Benchmark
    public float[] pool() {
        switch (op) {
            case "max":
                Pooling.maxPool(s, x, 0, y, 0);
                return y;
            case "scatter":
                Pooling.maxPoolScatter(s, x, 0, y, 0, dx, 0);
                return dx;
            case "gather":
                Pooling.maxPoolGather(s, x, 0, c, 0, y, 0);
                return y;
            default:
                throw new IllegalArgumentException("unknown op " + op + "; one of max, scatter, gather");
        }
    }
}

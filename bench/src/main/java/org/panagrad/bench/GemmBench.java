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
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;

/**
 * C = op(A) op(B) in float32. Throughput in calls per second: GFLOP/s = score * 2mnk / 1e9
 * (bench/compare_gemm.py does the conversion and puts numpy/OpenBLAS next to it).
 * The defaults are the 1024^3 square; the MLP shapes are passed with -p, e.g.
 * {@code -p m=128 -p n=500 -p k=784} (forward of a 784-500 layer on a batch of 128).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBench {
    @Param("1024") public int m;
    @Param("1024") public int n;
    @Param("1024") public int k;
    @Param("false") public boolean transA;
    @Param("false") public boolean transB;
    @Param({"1", "2"}) public int threads;

    private GemmOperand a, b, c;

    @Setup
    public void setup() {
        Gemm.setThreads(threads);
        Random rnd = new Random(1);
        a = new GemmOperand(random(rnd, m * k), 0, transA ? m : k, transA);
        b = new GemmOperand(random(rnd, k * n), 0, transB ? k : n, transB);
        c = GemmOperand.of(new float[m * n], 0, n);
    }

    static float[] random(Random rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = rnd.nextFloat() * 2f - 1f;
        return x;
    }

    @Benchmark
    public float[] gemm() {
        Gemm.gemm(m, n, k, 1f, a, b, 0f, c);
        return c.array();
    }
}

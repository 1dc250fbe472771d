package org.panagrad.bench;

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
import org.panagrad.kernels.Updates;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The fused SGD and momentum passes over one parameter: 392,000 floats (784-500-10's first weight, the pass after
 * its GEMM) and 5,000 (its output layer). The passes also add up the squares of the gradient they read (the
 * training step's non-finite check); against an earlier build without that, this measures what the check costs
 * the kernels. Tiny steps keep the parameters bounded over millions of calls.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class UpdatesBench {
    @Param({"392000", "5000"})
    public int n;

    private float[] p, g, velocity;

    @Setup
    public void setUp() {
        Random rnd = new Random(n);
        p = new float[n];
        g = new float[n];
        velocity = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = rnd.nextFloat() - 0.5f;
            g[i] = rnd.nextFloat() - 0.5f;
        }
    }

    @Benchmark
    public float[] sgd() {
        Updates.sgd(n, 1e-9f, 0f, p, 0, g, 0);
        return p;
    }

    @Benchmark
    public float[] momentum() {
        Updates.momentum(n, 1e-9f, 0.9f, false, 0f, p, 0, g, 0, velocity, 0);
        return p;
    }
}

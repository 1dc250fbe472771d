package org.panagrad.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.Simd;
import org.panagrad.kernels.UnaryOp;

/**
 * exp over 4096 softmax-like inputs in [-88, 0], three ways: the kernels' polynomial exp (Elementwise.unary
 * runs the same VectorMath.exp loop as softmax, log-softmax, cross-entropy, sigmoid and tanh), per-element
 * Math.exp, and VectorOperators.EXP (SVML-backed where the JDK ships libjsvml). Time per call of 4096
 * elements; run with -prof gc to see that none of them allocates. Numbers: bench/README.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ExpBench {
    private static final VectorSpecies<Float> F = Simd.FLOAT; // the kernels' species: one per JVM
    private static final int N = 4096;
    private final float[] x = new float[N], out = new float[N];

    @Setup
    public void setup() {
        Random rnd = new Random(1);
        for (int i = 0; i < N; i++) x[i] = -88f * rnd.nextFloat();
    }

    @Benchmark
    public float[] polynomialExp() {
        Elementwise.unary(UnaryOp.EXP, N, x, 0, out, 0);
        return out;
    }

    @Benchmark
    public float[] mathExp() {
        for (int i = 0; i < N; i++) out[i] = (float) Math.exp(x[i]);
        return out;
    }

    @Benchmark
    public float[] vectorOperatorsExp() {
        for (int i = 0; i < N; i += F.length()) {
            FloatVector.fromArray(F, x, i).lanewise(VectorOperators.EXP).intoArray(out, i);
        }
        return out;
    }
}

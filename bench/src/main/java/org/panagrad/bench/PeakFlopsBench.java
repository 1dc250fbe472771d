package org.panagrad.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.panagrad.kernels.Simd;

import java.util.concurrent.TimeUnit;

/**
 * The float32 FMA peak one core reaches from Java at the kernels' vector width ({@link Simd#FLOAT}: the CPU's
 * preferred width, or -Dpanagrad.vectorBits, e.g. {@code -jvmArgsAppend "--add-modules jdk.incubator.vector
 * -Dpanagrad.vectorBits=256"}): twelve independent FMA chains, enough to cover the FMA latency on both pipes, with
 * no memory traffic. The secondary score {@code flops} is FLOP/s (GFLOP/s = flops / 1e9). GEMM results are
 * reported as a fraction of the peak at their width.
 * <p>
 * Each chain is the addend (a = m * c + a, as a GEMM accumulates), which x86's vfmadd231ps updates in place.
 * Written a = a * m + c, each FMA needed a register copy of c first, and the loop measured 82-87 GFLOP/s
 * (less than the 1024^3 GEMM itself) against 102 in this form on the same core (Zen 3), JDK 17 and 25 alike.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PeakFlopsBench {
    private static final VectorSpecies<Float> F = Simd.FLOAT;
    static final int ITERATIONS = 10_000;
    /** 12 chains x lanes x 2 flops per FMA x iterations. */
    public static final long FLOPS_PER_CALL = 12L * F.length() * 2 * ITERATIONS;

    public float x = 0.999f, y = 1e-7f;

    /** The flops done, which JMH reports per second beside the calls. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            flops = 0;
        }
    }

    @Benchmark
    public float fmaChains(Flops done) {
        FloatVector m = FloatVector.broadcast(F, x), c = FloatVector.broadcast(F, y);
        FloatVector a0 = m, a1 = m.add(1), a2 = m.add(2), a3 = m.add(3), a4 = m.add(4), a5 = m.add(5);
        FloatVector a6 = m.add(6), a7 = m.add(7), a8 = m.add(8), a9 = m.add(9), a10 = m.add(10), a11 = m.add(11);
        for (int i = 0; i < ITERATIONS; i++) {
            a0 = m.fma(c, a0); a1 = m.fma(c, a1); a2 = m.fma(c, a2); a3 = m.fma(c, a3);
            a4 = m.fma(c, a4); a5 = m.fma(c, a5); a6 = m.fma(c, a6); a7 = m.fma(c, a7);
            a8 = m.fma(c, a8); a9 = m.fma(c, a9); a10 = m.fma(c, a10); a11 = m.fma(c, a11);
        }
        done.flops += FLOPS_PER_CALL;
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}

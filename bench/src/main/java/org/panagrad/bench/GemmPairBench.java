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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;

/**
 * Two independent 1-thread products at once, one per JMH thread, each on its own matrices: what the two
 * cores deliver together when nothing is shared, the ceiling of a 2-thread product (GemmBench, threads = 2).
 * On a shared VM the cores are not equal (measured here: one vCPU running 1024^3 at about 57 GFLOP/s while the
 * other ran 78),
 * so 2T / 1T alone cannot say whether the split loses anything; 2T against this pair, measured in the same
 * minute, can (bench/compare_gemm.py prints both). Together GFLOP/s = score (calls per second, summed over the
 * threads) * 2mnk.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmPairBench {
    @Param("1024") public int m;
    @Param("1024") public int n;
    @Param("1024") public int k;

    private GemmOperand a, b, c;

    @Setup
    public void setup() {
        Gemm.setThreads(1);
        Random rnd = new Random(Thread.currentThread().getId());
        a = GemmOperand.of(GemmBench.random(rnd, m * k), 0, k);
        b = GemmOperand.of(GemmBench.random(rnd, k * n), 0, n);
        c = GemmOperand.of(new float[m * n], 0, n);
    }

    @Benchmark
    public float[] oneThreadGemmPerCore() {
        Gemm.gemm(m, n, k, 1f, a, b, 0f, c);
        return c.array();
    }
}

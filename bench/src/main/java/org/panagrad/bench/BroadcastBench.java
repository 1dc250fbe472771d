package org.panagrad.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.panagrad.kernels.BinaryOp;
import org.panagrad.kernels.Elementwise;
import org.panagrad.kernels.Strided;

/**
 * A per-channel add on a CNN activation, [32, 64, 14, 14] + [64, 1, 1], against a plain add of two dense
 * [32, 64, 14, 14] tensors: the same 401,408 outputs, so the ratio of times is the ratio per element. The
 * broadcast operand is read with stride 0 along the batch and spatial axes (the index space collapses to
 * [32, 64, 196]: 2048 rows of 196, each adding one scalar); for contrast, the same add with the channel
 * operand first materialised by expand. Numbers: bench/README.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BroadcastBench {
    private static final int[] DIMS = {32, 64, 14, 14};
    private static final int N = 32 * 64 * 14 * 14;
    private final float[] x = new float[N], y = new float[N], expanded = new float[N], out = new float[N];
    private final float[] channel = new float[64];
    private final int[] dense = Strided.dense(DIMS), perChannel = {0, 1, 0, 0};
    private final Strided plain = Strided.elementwise(DIMS, dense, dense);
    private final Strided broadcast = Strided.elementwise(DIMS, dense, perChannel);
    private final Strided expand = Strided.elementwise(DIMS, perChannel);

    @Setup
    public void setup() {
        Random rnd = new Random(1);
        for (int i = 0; i < N; i++) {
            x[i] = rnd.nextFloat();
            y[i] = rnd.nextFloat();
        }
        for (int c = 0; c < 64; c++) channel[c] = rnd.nextFloat();
    }

    @Benchmark
    public float[] contiguousAdd() {
        Elementwise.binary(BinaryOp.ADD, plain, x, 0, y, 0, out, 0);
        return out;
    }

    @Benchmark
    public float[] channelBroadcastAdd() {
        Elementwise.binary(BinaryOp.ADD, broadcast, x, 0, channel, 0, out, 0);
        return out;
    }

    @Benchmark
    public float[] materialisedBroadcastAdd() {
        Elementwise.broadcast(expand, channel, 0, expanded, 0);
        Elementwise.binary(BinaryOp.ADD, plain, x, 0, expanded, 0, out, 0);
        return out;
    }
}

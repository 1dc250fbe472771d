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
import org.panagrad.analysis.BlockCurvatureProduct;
import org.panagrad.analysis.BlockLinearOperator;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hessian-vector products at one point (forward over reverse, everything that does not depend on the vectors
 * computed once), one vector at a time ({@code block = 1}: {@link CurvatureProduct#atCurrentPoint}) against blocks of
 * k vectors ({@link BlockCurvatureProduct#atCurrentPoint}). The score is the time of one call, which multiplies
 * {@code block} vectors: divide by it for the time per product.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BlockHvpBench {
    /** An MLP width list ("784-500-10") or a zoo name. */
    @Param({"784-500-10"})
    public String model;

    @Param({"128"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    /** Vectors per product: 1 is the single-vector product. */
    @Param({"1", "4", "8", "16"})
    public int block;

    private LinearOperator single;
    private BlockLinearOperator blocked;
    private float[][] v, out;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(model, batch, 42);
        List<Node> params = f.parameters();
        CurvatureProduct.Kind kind = CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE;
        int n;
        if (block == 1) {
            CurvatureProduct p = CurvatureProduct.compile(f.store, f.loss, params, kind, false);
            f.feed(p.program());
            single = p.atCurrentPoint();
            n = p.dimension();
        } else {
            BlockCurvatureProduct p = BlockCurvatureProduct.compile(f.store, f.loss, params, kind, block);
            f.feed(p.program());
            blocked = p.atCurrentPoint();
            n = p.dimension();
        }
        v = new float[block][n];
        out = new float[block][n];
        SplittableRandom rnd = new SplittableRandom(7);
        for (float[] row : v) for (int i = 0; i < n; i++) row[i] = rnd.nextBoolean() ? 1f : -1f;
        SteadyWarmUp.untilSteady(benchmark, this);
    }

    /** One call: {@code block} Hessian-vector products. */
    @Benchmark
    public float productsAtPoint() {
        if (single != null) single.apply(v[0], out[0]);
        else blocked.apply(v, out);
        return out[0][0];
    }
}

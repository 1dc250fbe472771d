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
import org.panagrad.curvature.EigenvalueRefit;
import org.panagrad.curvature.Influence;
import org.panagrad.curvature.KfacOptimizer;
import org.panagrad.curvature.KroneckerCurvature;
import org.panagrad.curvature.KroneckerFactors;
import org.panagrad.curvature.LayerBackprop;
import org.panagrad.kernels.Gemm;
import org.panagrad.optim.secondorder.ConjugateGradient;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The curvature toolbox's steady-state calls beyond the programs of {@link CurvatureBench} and
 * {@link KfacFactorsBench}, for issue 21's "every one allocates nothing" (run with {@code -prof gc}; the times are
 * context, not targets): a K-FAC optimizer step (factors every 10 steps and the damped inverses every 100 with the
 * defaults, so their share of an average step is counted), one batch of an EKFAC eigenvalue refit, a Kronecker
 * operator's matvec and damped inverse matvec (EKFAC's, as an influence query uses it), and an influence query of
 * one batch by EKFAC (solve, then the batch's scores) and by CG on the damped GGN (10 iterations, then the scores).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class CurvatureOperatorsBench {
    private static final double DAMPING = 1e-3;

    @Param({"784-500-10", "lenet5"})
    public String model;

    @Param({"128"})
    public int batch;

    @Param({"2"})
    public int threads;

    private KfacOptimizer kfac;
    private LayerBackprop kflr;
    private EigenvalueRefit refit;
    private KroneckerCurvature ekfac;
    private Influence influence;
    private ConjugateGradient cg;
    /** Made once: a method reference in the benchmark method would be a new object per call. */
    private ConjugateGradient.Operator dampedGgn;
    private int[] labels;
    private float[] v, out, s;
    private final SplittableRandom rnd = new SplittableRandom(5);

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(model, batch, 42);
        labels = f.classes;
        // A tiny learning rate: the parameters barely move, so every invocation times about the same point.
        kfac = KfacOptimizer.create(f.store, f.loss, f.logits, f.pass.layerCalls(), KfacOptimizer.Options.defaults().withLr(1e-6));
        kfac.programs().forEach(f::feed);

        kflr = LayerBackprop.compile(f.store, f.logits, f.pass.layerCalls(), LayerBackprop.Vectors.HESSIAN_FACTOR, "EKFAC", true, true);
        kflr.program().set(f.x, f.images, 0);
        kflr.run(rnd);
        KroneckerFactors factors = new KroneckerFactors(kflr, "KFLR");
        factors.add(kflr, batch);
        refit = new EigenvalueRefit(factors.curvature(), kflr);
        refit.add(batch);
        ekfac = refit.result();

        LayerBackprop perExample = LayerBackprop.compile(f.store, f.logits, f.pass.layerCalls(), LayerBackprop.Vectors.SAMPLED,
                "influence", false, true);
        perExample.program().set(f.x, f.images, 0);
        influence = new Influence(perExample);
        CurvatureProduct ggn = CurvatureProduct.compile(f.store, f.loss, f.parameters(), CurvatureProduct.Kind.GAUSS_NEWTON, false);
        f.feed(ggn.program());
        var damped = ggn.damped(DAMPING);
        dampedGgn = damped::apply;
        int d = ekfac.dimension();
        cg = new ConjugateGradient(d, 10, 0);
        v = new float[d];
        out = new float[d];
        s = new float[d];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < d; i++) v[i] = (float) r.nextGaussian() * 1e-2f;
        SteadyWarmUp.untilSteady(benchmark, this);
    }

    @Benchmark
    public float kfacStep() {
        return kfac.step();
    }

    @Benchmark
    public KroneckerCurvature ekfacRefitBatch() {
        kflr.run(rnd);
        refit.add(batch);
        return ekfac;
    }

    @Benchmark
    public float kroneckerApply() {
        ekfac.apply(v, out);
        return out[0];
    }

    @Benchmark
    public float kroneckerSolve() {
        ekfac.solve(DAMPING, v, out);
        return out[0];
    }

    @Benchmark
    public float influenceEkfac() {
        ekfac.solve(DAMPING, v, s);
        influence.scores(s, labels, 0, out, 0);
        return out[0];
    }

    @Benchmark
    public float influenceCg() {
        cg.solve(dampedGgn, v, s);
        influence.scores(s, labels, 0, out, 0);
        return out[0];
    }
}

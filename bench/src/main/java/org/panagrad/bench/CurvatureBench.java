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
import org.panagrad.curvature.CurvatureDiagonal;
import org.panagrad.curvature.GradientVariance;
import org.panagrad.curvature.PerSampleGradients;
import org.panagrad.curvature.PrivateTrainingStep;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.Program;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The curvature programs against a batch gradient (forward and backward) on the same model and batch, so each
 * one's cost in gradients is the ratio of its time to {@link #gradient}'s. Targets (issue 21): per-sample
 * gradients at most 2x, the Monte Carlo GGN diagonal at most 2x, the exact GGN diagonal at most (classes + 1)x;
 * all allocate nothing (run with -prof gc). A DP-SGD step is timed beside a plain SGD step. The model is an MLP
 * width list or a zoo name ({@link ModelFixture}): lenet5's Conv2d layers take the structured paths too, except
 * the exact Hessian diagonal, which is for MLPs and fails there naming the layer.
 * <p>
 * {@code -p mode=eval} builds the model in evaluation mode: batch norm then uses its running statistics and the
 * samples are independent, so resnet8 and vit-tiny run the per-sample methods
 * ({@code -p model=resnet8,vit-tiny -p mode=eval}). In training mode resnet8's batch norm couples the samples and
 * the per-sample methods are refused when compiled; its other benchmarks still run, and a refused one fails with
 * the refusal. The MLP and lenet5 have no batch norm or dropout, so both modes build them alike.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class CurvatureBench {
    @Param({"784-500-10", "lenet5"})
    public String model;

    @Param({"128"})
    public int batch;

    @Param({"2"})
    public int threads;

    /** "train" (batch statistics) or "eval" (running statistics: what the per-sample methods need for batch norm). */
    @Param({"train"})
    public String mode;

    private Program gradient;
    private PerSampleGradients perSample, perSampleNorms;
    private GradientVariance variance;
    private CurvatureDiagonal ggn, ggnMc, hessian, fisher;
    /** Why a program was refused when compiled (a layer the method does not support), by benchmark. */
    private final Map<String, IllegalArgumentException> refused = new HashMap<>();
    private TrainingStep sgd;
    private PrivateTrainingStep dpSgd;
    private float[] out, norms;
    /** As many floats as the materialised per-sample gradients of a batch: the store-bandwidth floor's target. */
    private float[] perSampleFloats;
    private float written;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        Gemm.setThreads(threads);
        boolean training = switch (mode) {
            case "train" -> true;
            case "eval" -> false;
            default -> throw new IllegalArgumentException("CurvatureBench: mode '" + mode + "' is neither train nor eval");
        };
        ModelFixture f = new ModelFixture(model, batch, 42, training);
        List<Node> params = f.parameters();
        gradient = f.compileGradient();
        perSample = compiled("perSampleGradients", () -> {
            PerSampleGradients p = PerSampleGradients.compile(f.store, f.loss, f.pass.layerCalls(), params, true);
            f.feed(p.program());
            return p;
        });
        perSampleNorms = compiled("perSampleNorms", () -> {
            PerSampleGradients p = PerSampleGradients.compile(f.store, f.loss, f.pass.layerCalls(), params, false);
            f.feed(p.program());
            return p;
        });
        variance = compiled("gradientVariance", () -> {
            GradientVariance v = GradientVariance.compile(f.store, f.loss, f.pass.layerCalls(), params);
            f.feed(v.program());
            return v;
        });
        ggn = compiled("diagGgnExact", () -> diagonal(f, CurvatureDiagonal.Kind.GGN));
        ggnMc = compiled("diagGgnMonteCarlo", () -> diagonal(f, CurvatureDiagonal.Kind.GGN_MONTE_CARLO));
        hessian = compiled("diagHessianExact", () -> diagonal(f, CurvatureDiagonal.Kind.HESSIAN)); // for MLPs only
        fisher = compiled("diagEmpiricalFisher", () -> diagonal(f, CurvatureDiagonal.Kind.EMPIRICAL_FISHER));
        // Learning rate 0: the parameters stay put, so every invocation times the same point. One optimizer
        // for both steps, as the training loop's full and last batches share one.
        Sgd optimizer = Sgd.plain(step -> 0.0);
        sgd = TrainingStep.compile(f.store, f.loss, params, optimizer, false);
        f.feed(sgd.program());
        dpSgd = compiled("dpSgdStep", () -> {
            PrivateTrainingStep step = PrivateTrainingStep.compile(f.store, f.loss, f.pass.layerCalls(), params, optimizer, 1.0, 1.1, 3);
            f.feed(step.program());
            return step;
        });
        int dimension = 0;
        for (Node p : params) dimension += p.shape().numel();
        out = new float[dimension];
        norms = new float[batch];
        if (benchmark.getBenchmark().endsWith(".perSampleWriteFloor")) {
            // 203 MB at 784-500-10: only the fork that writes it makes it.
            long floats = (long) batch * dimension;
            if (floats > Integer.MAX_VALUE - 8) throw new IllegalStateException(model + ": " + floats + " per-sample floats do not fit one array");
            perSampleFloats = new float[(int) floats];
        }
        SteadyWarmUp.untilSteady(benchmark, this);
    }

    /** build's program, or null with the refusal kept for {@link #refusal} when the method does not support a layer. */
    private <T> T compiled(String benchmark, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            refused.put(benchmark, e);
            return null;
        }
    }

    /** The error a benchmark whose program was refused fails with, naming the model, the mode and the refusal. */
    private UnsupportedOperationException refusal(String benchmark) {
        return new UnsupportedOperationException(benchmark + " on " + model + " in " + mode + " mode: "
                + refused.get(benchmark).getMessage() + (mode.equals("train") ? " (-p mode=eval uses running statistics)" : ""),
                refused.get(benchmark));
    }

    private static CurvatureDiagonal diagonal(ModelFixture f, CurvatureDiagonal.Kind kind) {
        CurvatureDiagonal d = CurvatureDiagonal.compile(f.store, f.loss, f.pass.layerCalls(), f.parameters(), kind,
                new CurvatureDiagonal.Settings(1, 5));
        f.feed(d.program());
        return d;
    }

    @Benchmark
    public float gradient() {
        gradient.run();
        return gradient.scalar(gradient.outputs().get(0));
    }

    /** Every sample's gradient materialized, [128, 784, 500] for 784-500-10's first weight (200 MB written per call). */
    @Benchmark
    public float perSampleGradients() {
        if (perSample == null) throw refusal("perSampleGradients");
        perSample.run();
        perSample.norms(norms);
        return norms[0];
    }

    /**
     * The floor under {@link #perSampleGradients}: one thread writing as many floats (batch x parameters; 203 MB
     * at 784-500-10, batch 128) with a plain fill loop, and nothing else.
     */
    @Benchmark
    public float perSampleWriteFloor() {
        java.util.Arrays.fill(perSampleFloats, written += 1f);
        return perSampleFloats[perSampleFloats.length - 1];
    }

    /** Only the per-sample norms, from ||a_n||^2 ||d_n||^2. */
    @Benchmark
    public float perSampleNorms() {
        if (perSampleNorms == null) throw refusal("perSampleNorms");
        perSampleNorms.run();
        perSampleNorms.norms(norms);
        return norms[0];
    }

    @Benchmark
    public float gradientVariance() {
        if (variance == null) throw refusal("gradientVariance");
        variance.compute(out);
        return out[0];
    }

    @Benchmark
    public float diagGgnExact() {
        if (ggn == null) throw refusal("diagGgnExact");
        ggn.compute(out);
        return out[0];
    }

    @Benchmark
    public float diagGgnMonteCarlo() {
        if (ggnMc == null) throw refusal("diagGgnMonteCarlo");
        ggnMc.compute(out);
        return out[0];
    }

    @Benchmark
    public float diagHessianExact() {
        if (hessian == null) throw refusal("diagHessianExact");
        hessian.compute(out);
        return out[0];
    }

    @Benchmark
    public float diagEmpiricalFisher() {
        if (fisher == null) throw refusal("diagEmpiricalFisher");
        fisher.compute(out);
        return out[0];
    }

    @Benchmark
    public float sgdStep() {
        return sgd.run();
    }

    @Benchmark
    public float dpSgdStep() {
        if (dpSgd == null) throw refusal("dpSgdStep");
        return dpSgd.run();
    }
}

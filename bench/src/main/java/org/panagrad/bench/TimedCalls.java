package org.panagrad.bench;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.kernels.AllocationMeter;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.Sgd;
import org.panagrad.runtime.Program;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One compiled program of {@link ModelFixture}, timed in bursts on request: the Panagrad side of
 * bench/interleaved_comparison.py, which keeps this JVM and a PyTorch process alive side by side and alternates
 * short bursts of the same work between them, so that both sides of every ratio see the host within a second of
 * each other (this host's speed drifts by up to 1.4x between minutes: separate runs of the two sides do not give a
 * ratio).
 * <p>
 * After compiling, it calls the work for at least five seconds and until a half-second window allocates nothing
 * (every kernel at C2, as {@link SteadyWarmUp} does for JMH) and prints {@code ready}. Then, per line {@code N} on standard input, it runs N
 * calls and prints the wall-clock and the calling thread's CPU nanoseconds they took; {@code quit} (or the end of
 * input) ends it.
 * <pre>
 * java --add-modules jdk.incubator.vector -Dmodel=resnet8 -Dbatch=128 -Dthreads=1 -Dwork=step [-Doptimizer=sgd|adamw] \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.TimedCalls
 * </pre>
 * Work: {@code step} (the training step; plain SGD at 1e-3 or AdamW at 1e-4 with weight decay 0.05, as the PyTorch
 * side runs it), {@code gradient}, {@code hvp-rr} / {@code hvp-fr} (a Hessian-vector product, reverse over reverse
 * or forward over reverse) and {@code at-point-rr} / {@code at-point-fr} (products at one point, as power iteration
 * and Lanczos use them). With {@code -Dmodel=gemm -Dshape=MxNxK} the work is one product, {@code nn}, {@code tn} or
 * {@code nt}, on GemmBench's operands (the other side is numpy's OpenBLAS).
 */
public final class TimedCalls {
    /** Bytes per call under which a warm-up window counts as allocation-free (the meter's own noise). */
    private static final long NOISE_BYTES = 64;

    private TimedCalls() {}

    /** One call of the work; its result, which must be finite. */
    private interface Work {
        double call();
    }

    public static void main(String[] args) throws Exception {
        String model = System.getProperty("model", "784-500-10"), kind = System.getProperty("work", "step");
        int batch = Integer.getInteger("batch", 128), threads = Integer.getInteger("threads", 1);
        long budget = Long.getLong("warmUpSeconds", 120), least = Long.getLong("minWarmUpSeconds", 5);
        Gemm.setThreads(threads);
        Work work = model.equals("gemm") ? product(System.getProperty("shape", "1024x1024x1024"), kind)
                : compile(new ModelFixture(model, batch, 42), kind, System.getProperty("optimizer", "sgd"));
        long start = System.nanoTime();
        long perCall = warmUp(work, start + TimeUnit.SECONDS.toNanos(least), start + TimeUnit.SECONDS.toNanos(budget));
        System.out.printf("ready %s %s, %d thread(s), %s: %.1f s of warm-up, %d bytes per call%n", model,
                model.equals("gemm") ? System.getProperty("shape", "1024x1024x1024") : "batch " + batch, threads, kind,
                (System.nanoTime() - start) / 1e9, perCall);
        System.out.flush();
        ThreadMXBean clock = ManagementFactory.getThreadMXBean();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
            int calls = Integer.parseInt(line.trim());
            long cpu0 = clock.getCurrentThreadCpuTime(), wall0 = System.nanoTime();
            double last = 0;
            for (int i = 0; i < calls; i++) last = work.call();
            long wall = System.nanoTime() - wall0, cpu = clock.getCurrentThreadCpuTime() - cpu0;
            if (!Double.isFinite(last)) throw new IllegalStateException(kind + " gave " + last);
            System.out.println(wall + " " + cpu);
            System.out.flush();
        }
    }

    /**
     * Calls the work in half-second windows until {@code least} has passed and a window allocates nothing per call,
     * or until the deadline; bytes per call of the last window. The least time (-DminWarmUpSeconds, 5), as JMH's
     * warm-up, leaves C2 time for its later recompilations (a product's first allocation-free window comes after
     * 1.5 s).
     */
    private static long warmUp(Work work, long least, long deadline) {
        long perCall;
        do {
            AllocationMeter meter = AllocationMeter.start();
            long windowStart = System.nanoTime();
            int calls = 0;
            do {
                if (!Double.isFinite(work.call())) throw new IllegalStateException("non-finite result during warm-up");
                calls++;
            } while (System.nanoTime() - windowStart < TimeUnit.MILLISECONDS.toNanos(500));
            perCall = meter.bytes() / calls;
        } while ((perCall > NOISE_BYTES || System.nanoTime() < least) && System.nanoTime() < deadline);
        return perCall;
    }

    /** C = op(A) op(B) of the shape MxNxK, op given by work nn, tn or nt, with GemmBench's operands. */
    private static Work product(String shape, String kind) {
        String[] mnk = shape.split("x");
        if (mnk.length != 3 || !(kind.equals("nn") || kind.equals("tn") || kind.equals("nt")))
            throw new IllegalArgumentException("gemm " + shape + " " + kind + ": expected -Dshape=MxNxK and -Dwork=nn, tn or nt");
        int m = Integer.parseInt(mnk[0]), n = Integer.parseInt(mnk[1]), k = Integer.parseInt(mnk[2]);
        boolean transA = kind.charAt(0) == 't', transB = kind.charAt(1) == 't';
        java.util.Random rnd = new java.util.Random(1);
        GemmOperand a = new GemmOperand(GemmBench.random(rnd, m * k), 0, transA ? m : k, transA);
        GemmOperand b = new GemmOperand(GemmBench.random(rnd, k * n), 0, transB ? k : n, transB);
        GemmOperand c = GemmOperand.of(new float[m * n], 0, n);
        return () -> {
            Gemm.gemm(m, n, k, 1f, a, b, 0f, c);
            return c.array()[0];
        };
    }

    private static Work compile(ModelFixture f, String kind, String optimizer) {
        switch (kind) {
            case "step": {
                Optimizer opt = switch (optimizer) {
                    case "sgd" -> Sgd.plain(LearningRateSchedule.constant(1e-3));
                    case "adamw" -> Adam.adamW(LearningRateSchedule.constant(1e-4), 0.05);
                    default -> throw new IllegalArgumentException("optimizer " + optimizer + ": expected sgd or adamw");
                };
                return f.compileStep(opt)::run;
            }
            case "gradient": {
                Program gradient = f.compileGradient();
                return () -> {
                    gradient.run();
                    return gradient.scalar(gradient.outputs().get(0));
                };
            }
            case "hvp-rr": case "hvp-fr": case "at-point-rr": case "at-point-fr": {
                CurvatureProduct product = f.compileHvp(kind.endsWith("fr"));
                LinearOperator op = kind.startsWith("at-point") ? product.atCurrentPoint() : product;
                float[] v = ModelFixture.signVector(op.dimension()), out = new float[v.length];
                return () -> {
                    op.apply(v, out);
                    return out[0];
                };
            }
            default:
                throw new IllegalArgumentException("work " + kind + ": expected step, gradient, hvp-rr, hvp-fr, at-point-rr or at-point-fr");
        }
    }
}

package org.panagrad.bench;

import org.panagrad.curvature.LayerBackprop;
import org.panagrad.kernels.Gemm;
import org.panagrad.runtime.Program;

import java.util.SplittableRandom;

/**
 * Where {@link KfacFactorsBench}'s two programs spend their time: the batch gradient and K-FAC's factors (one
 * sampled label per example) of the same model and batch, every instruction timed ({@link Program#runTimed})
 * over {@code -Dreps} runs after {@code -Dwarmup} runs of both, listed by time with its op, shape and flop count,
 * (the top {@code -Dtop}, default 15), the factors' time summed per op, then both programs' timed totals, their wall times and the ratio. It shows which instructions the factors add
 * to a forward pass and how fast each runs against the gradient's GEMMs.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dmodel=784-500-10 -Dthreads=2 \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.KfacFactorsInstructions
 * </pre>
 */
public final class KfacFactorsInstructions {
    private KfacFactorsInstructions() {}

    public static void main(String[] args) {
        String model = System.getProperty("model", "784-500-10");
        int threads = Integer.getInteger("threads", 2), reps = Integer.getInteger("reps", 200), warmup = Integer.getInteger("warmup", 3000);
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(model, 128, 42);
        Program gradient = f.compileGradient();
        LayerBackprop kfac = LayerBackprop.compile(f.store, f.logits, f.pass.layerCalls(), LayerBackprop.Vectors.SAMPLED, "KFAC", true, false);
        kfac.program().set(f.x, f.images, 0);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < warmup; i++) {
            gradient.run();
            kfac.run(rnd);
        }
        int top = Integer.getInteger("top", 15);
        double g = InstructionTimes.of("gradient", gradient, reps).printSlowest(top);
        InstructionTimes factors = InstructionTimes.of("K-FAC factors", kfac.program(), reps);
        double k = factors.printSlowest(top);
        System.out.println("K-FAC factors by op: ms per run (instructions)");
        factors.byOp().forEach((op, s) -> System.out.printf("  %-22s %8.3f ms (%d)%n", op, s[0], (int) s[1]));
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) gradient.run();
        long t1 = System.nanoTime();
        for (int i = 0; i < reps; i++) kfac.run(rnd);
        long t2 = System.nanoTime();
        System.out.printf("%s, %d thread(s): timed instructions: gradient %.3f ms, factors %.3f ms (%.2fx); wall: gradient %.3f ms,"
                        + " factors %.3f ms (%.2fx)%n", model, threads, g, k, k / g, (t1 - t0) / 1e6 / reps, (t2 - t1) / 1e6 / reps,
                (double) (t2 - t1) / (t1 - t0));
    }
}

package org.panagrad.bench;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.curvature.CurvatureDiagonal;
import org.panagrad.kernels.Gemm;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.Program;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the programs of {@link TrainStepBench} and {@link HvpBench} spend their time, instruction by instruction
 * ({@link Program#runTimed}) on the same model, batch and threads: the training step (plain SGD), the gradient
 * and both Hessian-vector products, each warmed up by {@code -Dwarmup} runs and timed over {@code -Dreps}. It
 * prints each program's slowest instructions, then one table of the time summed per op with a column per
 * program, so that what an HVP adds to a gradient reads off op by op.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dmodel=resnet8 -Dthreads=1 -Dprograms=gradient,hvp-rr \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.ProgramInstructions
 * </pre>
 * With {@code -Dtsv=PREFIX} each program's instructions are also written one per line to PREFIX-PROGRAM.tsv
 * ({@link InstructionTimes#writeTsv}: time, MFLOP, op, output and input shapes) for grouping by shape.
 * Programs: step, gradient, hvp-rr (reverse over reverse), hvp-fr (forward over reverse), diag-ggn and diag-ggn-mc
 * (the exact and Monte Carlo GGN diagonals of {@link CurvatureBench}, one sample).
 */
public final class ProgramInstructions {
    private ProgramInstructions() {}

    public static void main(String[] args) throws java.io.IOException {
        String model = System.getProperty("model", "lenet5");
        int threads = Integer.getInteger("threads", 1), reps = Integer.getInteger("reps", 100), warmup = Integer.getInteger("warmup", 1000);
        int batch = Integer.getInteger("batch", 128), top = Integer.getInteger("top", 20);
        String tsv = System.getProperty("tsv");
        String[] names = System.getProperty("programs", "step,gradient,hvp-rr,hvp-fr").split(",");
        Gemm.setThreads(threads);
        ModelFixture f = new ModelFixture(model, batch, 42);
        Map<String, Runnable> runs = new LinkedHashMap<>();
        Map<String, Program> programs = new LinkedHashMap<>();
        for (String name : names) {
            switch (name) {
                case "step" -> {
                    TrainingStep step = f.compileStep(Sgd.plain(LearningRateSchedule.constant(1e-3)));
                    runs.put(name, step::run);
                    programs.put(name, step.program());
                }
                case "gradient" -> {
                    Program gradient = f.compileGradient();
                    runs.put(name, gradient::run);
                    programs.put(name, gradient);
                }
                case "hvp-rr", "hvp-fr" -> {
                    CurvatureProduct hvp = f.compileHvp(name.equals("hvp-fr"));
                    float[] v = ModelFixture.signVector(hvp.dimension()), out = new float[v.length];
                    hvp.apply(v, out);
                    runs.put(name, () -> hvp.apply(v, out));
                    programs.put(name, hvp.program());
                }
                case "diag-ggn", "diag-ggn-mc" -> {
                    CurvatureDiagonal d = CurvatureDiagonal.compile(f.store, f.loss, f.pass.layerCalls(), f.parameters(),
                            name.equals("diag-ggn") ? CurvatureDiagonal.Kind.GGN : CurvatureDiagonal.Kind.GGN_MONTE_CARLO,
                            new CurvatureDiagonal.Settings(1, 5));
                    f.feed(d.program());
                    float[] out = new float[d.dimension()];
                    runs.put(name, () -> d.compute(out));
                    programs.put(name, d.program());
                }
                default -> throw new IllegalArgumentException("-Dprograms: unknown program '" + name
                        + "' (expected step, gradient, hvp-rr, hvp-fr, diag-ggn or diag-ggn-mc)");
            }
        }
        for (int i = 0; i < warmup; i++) runs.values().forEach(Runnable::run);
        Map<String, Map<String, double[]>> byOp = new LinkedHashMap<>();
        Map<String, Double> totals = new LinkedHashMap<>();
        for (Map.Entry<String, Program> e : programs.entrySet()) {
            InstructionTimes t = InstructionTimes.of(e.getKey(), e.getValue(), reps);
            totals.put(e.getKey(), t.printSlowest(top));
            byOp.put(e.getKey(), t.byOp());
            if (tsv != null) t.writeTsv(java.nio.file.Path.of(tsv + "-" + e.getKey() + ".tsv"));
        }
        for (Map.Entry<String, Runnable> e : runs.entrySet()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) e.getValue().run();
            System.out.printf("%s, %s, batch %d, %d thread(s): wall %.3f ms per run, timed instructions %.3f ms%n", e.getKey(), model,
                    batch, threads, (System.nanoTime() - t0) / 1e6 / reps, totals.get(e.getKey()));
        }
        Map<String, Integer> ops = new LinkedHashMap<>();
        for (Map<String, double[]> m : byOp.values()) m.keySet().forEach(op -> ops.putIfAbsent(op, 0));
        StringBuilder header = new StringBuilder(String.format("%-26s", "ms per run (instructions)"));
        for (String p : byOp.keySet()) header.append(String.format(" %16s", p));
        System.out.println(header);
        for (String op : ops.keySet()) {
            StringBuilder row = new StringBuilder(String.format("%-26s", op));
            for (Map<String, double[]> m : byOp.values()) {
                double[] s = m.get(op);
                row.append(s == null ? String.format(" %16s", "-") : String.format(" %9.3f (%4d)", s[0], (int) s[1]));
            }
            System.out.println(row);
        }
    }
}

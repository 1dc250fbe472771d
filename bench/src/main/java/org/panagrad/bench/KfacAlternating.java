package org.panagrad.bench;

import static org.panagrad.bench.RoundStatistics.median;

import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@link KfacFactorsBench}'s two programs (the batch gradient and K-FAC's factors, one sampled label per example)
 * of two jars in one JVM, each jar's engine and fixture loaded by its own class loader, timed in alternating rounds
 * (the side that goes first swaps every round): both sides see the same load, so the per-round ratios are steadier
 * than two JVMs run one after the other. Prints each side's median gradient and factors times, the factors over the
 * gradient of each side, and new over base for the factors, per round.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dmodel=lenet5 -Dthreads=1 \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.KfacAlternating BASE_JAR NEW_JAR [REPS [ROUNDS [WARMUP]]]
 * </pre>
 * {@code -Dquantile=Q} (e.g. 0.2): a round's time is the Q-quantile of its single calls rather than their mean (on a
 * loaded machine the calls other processes preempt are left out).
 * {@code -Dprogram=diag-ggn} times {@link CurvatureBench#diagGgnExact}'s program (the exact GGN diagonal, one
 * backward per class; target (classes + 1)x a gradient) in place of the factors; the same jar on both sides then
 * gives two measurements of its ratio to the gradient in one JVM.
 */
public final class KfacAlternating {
    private KfacAlternating() {}

    private static final double QUANTILE = QuantileProperty.read();

    /** One jar's two programs, called by reflection. */
    private static final class Side {
        final Object gradient, kfac;
        final Method runGradient, runKfac;
        final SplittableRandom rnd = new SplittableRandom(3);
        private long[] callNs = new long[0];
        /** The exact GGN diagonal's output (with -Dprogram=diag-ggn), null for the factors. */
        final float[] diagonal;

        Side(String jar, String model, int threads, boolean ggnDiagonal) throws Exception {
            ClassLoader loader = new URLClassLoader(new URL[] {new File(jar).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            loader.loadClass("org.panagrad.kernels.Gemm").getMethod("setThreads", int.class).invoke(null, threads);
            Class<?> fixture = loader.loadClass("org.panagrad.bench.ModelFixture");
            Constructor<?> make = fixture.getDeclaredConstructor(String.class, int.class, long.class);
            make.setAccessible(true);
            Object f = make.newInstance(model, 128, 42L);
            Method compile = fixture.getDeclaredMethod("compileGradient");
            compile.setAccessible(true);
            gradient = compile.invoke(f);
            if (ggnDiagonal) {
                Class<?> diag = loader.loadClass("org.panagrad.curvature.CurvatureDiagonal");
                Class<?> kind = loader.loadClass("org.panagrad.curvature.CurvatureDiagonal$Kind");
                Class<?> settings = loader.loadClass("org.panagrad.curvature.CurvatureDiagonal$Settings");
                Object pass = field(fixture, "pass").get(f);
                Method parameters = fixture.getDeclaredMethod("parameters");
                parameters.setAccessible(true);
                @SuppressWarnings({"unchecked", "rawtypes"})
                Object ggn = Enum.valueOf((Class) kind, "GGN");
                Method compileDiagonal = null;
                for (Method m : diag.getMethods()) if (m.getName().equals("compile") && m.getParameterCount() == 6) compileDiagonal = m;
                kfac = compileDiagonal.invoke(null, field(fixture, "store").get(f), field(fixture, "loss").get(f),
                        pass.getClass().getMethod("layerCalls").invoke(pass), parameters.invoke(f), ggn,
                        settings.getConstructor(int.class, long.class).newInstance(1, 0L));
                Method feed = fixture.getDeclaredMethod("feed", loader.loadClass("org.panagrad.runtime.Program"));
                feed.setAccessible(true);
                feed.invoke(f, diag.getMethod("program").invoke(kfac));
                diagonal = new float[(int) diag.getMethod("dimension").invoke(kfac)];
                runGradient = gradient.getClass().getMethod("run");
                runKfac = diag.getMethod("compute", float[].class);
                return;
            }
            diagonal = null;
            Class<?> backprop = loader.loadClass("org.panagrad.curvature.LayerBackprop");
            Class<?> vectors = loader.loadClass("org.panagrad.curvature.LayerBackprop$Vectors");
            Object pass = field(fixture, "pass").get(f);
            Object calls = pass.getClass().getMethod("layerCalls").invoke(pass);
            Method compileKfac = null;
            for (Method m : backprop.getMethods()) if (m.getName().equals("compile") && m.getParameterCount() == 7) compileKfac = m;
            @SuppressWarnings({"unchecked", "rawtypes"})
            Object sampled = Enum.valueOf((Class) vectors, "SAMPLED");
            kfac = compileKfac.invoke(null, field(fixture, "store").get(f), field(fixture, "logits").get(f), (List<?>) calls, sampled,
                    "KFAC", true, false);
            Object program = backprop.getMethod("program").invoke(kfac);
            Object x = field(fixture, "x").get(f);
            for (Method m : program.getClass().getMethods()) {
                if (m.getName().equals("set") && m.getParameterCount() == 3 && m.getParameterTypes()[1] == float[].class) {
                    m.invoke(program, x, field(fixture, "images").get(f), 0);
                }
            }
            runGradient = gradient.getClass().getMethod("run");
            runKfac = backprop.getMethod("run", SplittableRandom.class);
        }

        private static Field field(Class<?> c, String name) throws NoSuchFieldException {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        }

        /** Milliseconds per call: the mean of reps calls, or with -Dquantile=Q the Q-quantile of their single times. */
        double time(boolean factors, int reps) throws Exception {
            if (callNs.length < reps) callNs = new long[reps];
            long t0 = System.nanoTime(), last = t0;
            for (int i = 0; i < reps; i++) {
                if (factors) runKfac.invoke(kfac, diagonal != null ? diagonal : rnd);
                else runGradient.invoke(gradient);
                long now = System.nanoTime();
                callNs[i] = now - last;
                last = now;
            }
            if (QUANTILE <= 0) return (last - t0) / 1e6 / reps;
            // A low quantile of single calls leaves out the calls another process preempted.
            return QuantileProperty.of(callNs, reps, QUANTILE) / 1e6;
        }
    }

    public static void main(String[] args) throws Exception {
        String model = System.getProperty("model", "lenet5");
        int threads = Integer.getInteger("threads", 1);
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 50, rounds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 1500;
        String program = System.getProperty("program", "kfac");
        if (!program.equals("kfac") && !program.equals("diag-ggn")) {
            throw new IllegalArgumentException("KfacAlternating: -Dprogram=" + program + " is neither kfac nor diag-ggn");
        }
        boolean ggn = program.equals("diag-ggn");
        Side[] sides = {new Side(args[0], model, threads, ggn), new Side(args[1], model, threads, ggn)};
        for (int w = 0; w < warmup; w += 50) {
            for (Side s : sides) {
                s.time(false, 50);
                s.time(true, 50);
            }
        }
        double[][] gradient = new double[2][rounds], factors = new double[2][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int turn = 0; turn < 2; turn++) {
                int s = (r & 1) == 0 ? turn : 1 - turn;
                gradient[s][r] = sides[s].time(false, reps);
                factors[s][r] = sides[s].time(true, reps);
            }
        }
        System.out.printf("%s, batch 128, %d thread(s), %s, %d rounds of %d calls each (after %d)%s:%n", model, threads,
                ggn ? "the exact GGN diagonal in place of the factors" : "K-FAC factors", rounds, reps, warmup,
                QUANTILE > 0 ? ", each a " + QUANTILE + "-quantile of single calls" : "");
        for (int s = 0; s < 2; s++) {
            double[] over = new double[rounds];
            for (int r = 0; r < rounds; r++) over[r] = factors[s][r] / gradient[s][r];
            System.out.printf("  %s %s: gradient %.3f ms, factors %.3f ms, factors / gradient %s%n", s == 0 ? "base" : "new ", args[s],
                    median(gradient[s]), median(factors[s]), summary(over));
        }
        double[] ratio = new double[rounds];
        StringBuilder perRound = new StringBuilder();
        for (int r = 0; r < rounds; r++) {
            ratio[r] = factors[1][r] / factors[0][r];
            perRound.append(String.format(" %.3f", ratio[r]));
        }
        System.out.printf("  factors new / base per round: %s; in order:%s%n", summary(ratio), perRound);
    }

    private static String summary(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format("median %.3f [%.3f - %.3f]", s[s.length / 2], s[0], s[s.length - 1]);
    }
}

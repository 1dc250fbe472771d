package org.panagrad.bench;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link VitTinyBench}'s programs (gradient, HVP, AdamW step at batch 128) of two jars in one JVM, each jar loaded by
 * its own class loader, timed in alternating rounds (the side that goes first swaps every round) after
 * {@code -DwarmUpRounds} (8) untimed ones, as {@link ConvAlternating}: both sides see the same load, so the
 * per-round ratio is steadier than two JMH forks one after the other. Each round times {@code REPS} calls.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dthreads=2 -Dprograms=hvp,gradient,trainStep \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.VitAlternating BASE_JAR NEW_JAR [REPS [ROUNDS]]
 * </pre>
 */
public final class VitAlternating {
    private VitAlternating() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.getInteger("threads", 1), warmUp = Integer.getInteger("warmUpRounds", 8);
        String[] programs = System.getProperty("programs", "hvp,gradient,trainStep").split(",");
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 5, rounds = args.length > 3 ? Integer.parseInt(args[3]) : 9;
        Object[] bench = new Object[2];
        Class<?>[] type = new Class<?>[2];
        for (int s = 0; s < 2; s++) {
            ClassLoader loader = new URLClassLoader(new URL[] {new File(args[s]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            type[s] = loader.loadClass("org.panagrad.bench.VitTinyBench");
            bench[s] = type[s].getConstructor().newInstance();
            type[s].getField("threads").setInt(bench[s], threads);
            type[s].getField("batch").setInt(bench[s], 128);
            Method compile = type[s].getDeclaredMethod("compile");
            compile.setAccessible(true);
            compile.invoke(bench[s]);
        }
        System.out.printf(Locale.ROOT, "%d thread(s), %d rounds of %d calls after %d warm-up rounds; base %s, new %s%n",
                threads, rounds, reps, warmUp, args[0], args[1]);
        for (String program : programs) {
            Method[] run = {type[0].getMethod(program), type[1].getMethod(program)};
            double[][] ms = new double[2][rounds];
            for (int r = -warmUp; r < rounds; r++) {
                for (int turn = 0; turn < 2; turn++) {
                    int s = (r & 1) == 0 ? turn : 1 - turn;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) run[s].invoke(bench[s]);
                    if (r >= 0) ms[s][r] = (System.nanoTime() - t0) / 1e6 / reps;
                }
            }
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = ms[1][r] / ms[0][r];
            double[] a = ms[0].clone(), b = ms[1].clone();
            Arrays.sort(a);
            Arrays.sort(b);
            Arrays.sort(ratio);
            System.out.printf(Locale.ROOT, "%-10s base %7.2f ms (min %7.2f)  new %7.2f ms (min %7.2f)  new/base %.3f [%.3f - %.3f]%n",
                    program, a[rounds / 2], a[0], b[rounds / 2], b[0], ratio[rounds / 2], ratio[0], ratio[rounds - 1]);
        }
    }
}

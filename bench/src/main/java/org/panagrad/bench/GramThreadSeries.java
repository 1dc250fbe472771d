package org.panagrad.bench;

import java.io.File;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A time series of one Gram product (SymmetricGemm.gram, default 784-500-10's 785 x 785 input factor over a batch of
 * 128) on two threads and on one, in one JVM: the jar's engine is loaded twice, one copy's pool with two threads,
 * the other's with one, and each round times both. Per round it prints both times, the load, and how often the
 * two-thread copy's helper was preempted (its involuntary context switches, from /proc) and on which CPU it last
 * ran. It tells a JVM whose two-thread product is slow from a period in which the second core is taken: the
 * first stays slow for the whole run, the second flips within it, with the helper's preemptions. {@code -Dupper=true}
 * times {@code SymmetricGemm.upperGram} (K-FAC's factors) instead; {@code -Dgemm=true} also times a general product
 * with the same C (X^T X through {@code Gemm.gemm}, twice the multiply-adds) on both pools in each round, a control: a
 * round in which that product does not speed up on two threads is one in which the second vCPU was taken.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dn=785 -Dk=128 \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.GramThreadSeries [ROUNDS [REPS]]
 * </pre>
 */
public final class GramThreadSeries {
    private GramThreadSeries() {}

    public static void main(String[] args) throws Throwable {
        int n = Integer.getInteger("n", 785), k = Integer.getInteger("k", 128);
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 100, reps = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        String jar = GramThreadSeries.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        float[] x = new float[n * k], c = new float[n * n];
        Random rnd = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
        boolean upper = Boolean.getBoolean("upper"), control = Boolean.getBoolean("gemm");
        MethodHandle[] gram = new MethodHandle[2], gemm = new MethodHandle[2];
        for (int s = 0; s < 2; s++) {
            ClassLoader loader = new URLClassLoader(new URL[] {new File(jar).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            lookup.findStatic(loader.loadClass("org.panagrad.kernels.Gemm"), "setThreads", MethodType.methodType(void.class, int.class))
                    .invoke(2 - s);
            gram[s] = lookup.findStatic(loader.loadClass("org.panagrad.kernels.SymmetricGemm"), upper ? "upperGram" : "gram",
                    MethodType.methodType(void.class, boolean.class, int.class, int.class, float.class, float[].class, int.class, int.class,
                            float[].class, int.class));
            Class<?> operand = loader.loadClass("org.panagrad.kernels.GemmOperand");
            MethodHandle gemmCall = lookup.findStatic(loader.loadClass("org.panagrad.kernels.Gemm"), "gemm", MethodType.methodType(void.class,
                    int.class, int.class, int.class, float.class, operand, operand, float.class, operand));
            MethodHandle of = lookup.findStatic(operand, "of", MethodType.methodType(operand, float[].class, int.class, int.class));
            MethodHandle transposeOf = lookup.findStatic(operand, "transposeOf", MethodType.methodType(operand, float[].class, int.class, int.class));
            Object xt = transposeOf.invoke(x, 0, n), xs = of.invoke(x, 0, n), cs = of.invoke(c, 0, n);
            gemm[s] = MethodHandles.insertArguments(gemmCall, 0, n, n, k, 1f, xt, xs, 0f, cs);
        }
        for (int w = 0; w < 2000; w++) {
            for (MethodHandle g : gram) g.invokeExact(true, n, k, 1f, x, 0, n, c, 0);
            if (control && w % 2 == 0) for (MethodHandle g : gemm) g.invoke();
        }
        // The two-thread copy's pool started first: its helper is the first worker thread.
        Path helper = helperTask();
        System.out.printf("%d x %d Gram over k = %d, %d calls per round; ms per call on 2 threads and on 1%n", n, n, k, reps);
        long start = System.nanoTime(), switches = preemptions(helper);
        for (int r = 0; r < rounds; r++) {
            double[] ms = new double[2];
            for (int s = 0; s < 2; s++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) gram[s].invokeExact(true, n, k, 1f, x, 0, n, c, 0);
                ms[s] = (System.nanoTime() - t0) / 1e6 / reps;
            }
            String gemmRatio = "";
            if (control) {
                double[] gms = new double[2];
                for (int s = 0; s < 2; s++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps / 2; i++) gemm[s].invoke();
                    gms[s] = (System.nanoTime() - t0) / 1e6 / (reps / 2);
                }
                gemmRatio = String.format("  gemm 2 threads %.3f  1 thread %.3f  1/2 %.2f", gms[0], gms[1], gms[1] / gms[0]);
            }
            long now = preemptions(helper);
            System.out.printf("t %6.1f s  2 threads %.3f  1 thread %.3f  1/2 %.2f%s  helper preempted %3d times, on cpu %s  load %s%n",
                    (System.nanoTime() - start) / 1e9, ms[0], ms[1], ms[1] / ms[0], gemmRatio, now - switches, cpu(helper),
                    Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            switches = now;
        }
    }

    private static Path helperTask() throws IOException {
        Path best = null;
        long bestId = Long.MAX_VALUE;
        for (File t : new File("/proc/self/task").listFiles()) {
            if (!Files.readString(t.toPath().resolve("comm")).startsWith("panagrad-worker")) continue;
            long id = Long.parseLong(t.getName());
            if (id < bestId) {
                bestId = id;
                best = t.toPath();
            }
        }
        if (best == null) throw new IllegalStateException("GramThreadSeries: no panagrad-worker thread in /proc/self/task");
        return best;
    }

    private static long preemptions(Path task) throws IOException {
        for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("nonvoluntary_ctxt_switches:")) return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
        throw new IllegalStateException("GramThreadSeries: no nonvoluntary_ctxt_switches in " + task + "/status");
    }

    private static String cpu(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[36];
    }
}

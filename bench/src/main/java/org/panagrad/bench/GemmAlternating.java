package org.panagrad.bench;

import java.io.File;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * GEMM products of two jars in one JVM, each jar's engine loaded by its own class loader, timed in alternating
 * rounds (the side that goes first swaps every round), as {@link GramAlternating} does for the Gram product: both
 * sides see the same load and the same JVM, so the per-round ratio stays readable on a shared machine where two
 * JMH forks run minutes apart do not. Shapes are {@code m,n,k[,T][,N]...} with the op letters of A then B
 * ({@code 784,500,128,TN}: A transposed), default NN. Flags go before the class name: {@code -Dthreads=N}
 * (default 1), {@code -Dms=M} (milliseconds per side and round, default 200), {@code -Drounds=R} (default 9),
 * {@code -Dquantile=Q} (rates from the Q-quantile of single call times, e.g. 0.2, rather than calls per time: on a
 * loaded machine the calls other processes preempt are left out), {@code -Dalpha=A -Dbeta=B} (default 1 and 0;
 * {@code -Dalpha=-0.001 -Dbeta=1} is a weight gradient with the SGD update fused, as a training step runs it).
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -XX:UseAVX=2 -cp bench/target/benchmarks.jar \
 *   org.panagrad.bench.GemmAlternating BASE_JAR NEW_JAR 784,500,128,TN 128,500,784 1024,1024,1024
 * </pre>
 * Prints, per shape, each side's median GFLOP/s over the rounds and the median and range of the per-round ratio
 * new / base (above 1: the new jar is faster).
 */
public final class GemmAlternating {
    private GemmAlternating() {}

    /** With -Dquantile=Q (0 < Q < 1), a side's rate in a round is from the Q-quantile of its call times. */
    private static final double QUANTILE = QuantileProperty.read();
    private static final float ALPHA = Float.parseFloat(System.getProperty("alpha", "1"));
    private static final float BETA = Float.parseFloat(System.getProperty("beta", "0"));

    public static void main(String[] args) throws Throwable {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: GemmAlternating BASE_JAR NEW_JAR m,n,k[,OPS] ...; got "
                    + Arrays.toString(args));
        }
        int threads = Integer.getInteger("threads", 1), rounds = Integer.getInteger("rounds", 9);
        long budget = Long.getLong("ms", 200) * 1_000_000L;
        ClassLoader[] loaders = new ClassLoader[2];
        for (int s = 0; s < 2; s++) {
            loaders[s] = new URLClassLoader(new URL[] {new File(args[s]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            MethodHandles.publicLookup().findStatic(loaders[s].loadClass("org.panagrad.kernels.Gemm"), "setThreads",
                    MethodType.methodType(void.class, int.class)).invoke(threads);
        }
        System.out.printf(Locale.ROOT, "GEMM, %d thread(s), %d rounds of %d ms per side, alpha %s, beta %s; base %s, new %s%n",
                threads, rounds, budget / 1_000_000, ALPHA, BETA, args[0], args[1]);
        for (String shape : List.of(args).subList(2, args.length)) run(shape, loaders, rounds, budget);
    }

    private static void run(String shape, ClassLoader[] loaders, int rounds, long budget) throws Throwable {
        String[] parts = shape.split(",");
        if (parts.length < 3 || parts.length > 4) {
            throw new IllegalArgumentException("shape \"" + shape + "\": expected m,n,k or m,n,k,OPS (OPS: NN, TN, NT or TT)");
        }
        int m = Integer.parseInt(parts[0]), n = Integer.parseInt(parts[1]), k = Integer.parseInt(parts[2]);
        String ops = parts.length == 4 ? parts[3] : "NN";
        if (!ops.matches("[NT][NT]")) throw new IllegalArgumentException("shape \"" + shape + "\": ops " + ops + " are not NN, TN, NT or TT");
        boolean transA = ops.charAt(0) == 'T', transB = ops.charAt(1) == 'T';
        Random rnd = new Random(1);
        float[] a = random(rnd, m * k), b = random(rnd, k * n);
        MethodHandle[] call = new MethodHandle[2];
        for (int s = 0; s < 2; s++) call[s] = product(loaders[s], m, n, k, a, transA ? m : k, transA, b, transB ? k : n, transB,
                new float[m * n], n);
        // Warm-up: both sides until each has run 3 s, alternating (C2 compiles the kernels of both).
        for (long t = 0; t < 3_000_000_000L; ) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) { call[0].invokeExact(); call[1].invokeExact(); }
            t += System.nanoTime() - t0;
        }
        double flops = 2.0 * m * n * k;
        double[][] gflops = new double[2][rounds];
        double[] ratio = new double[rounds];
        long[] callTimes = new long[100_000];
        for (int r = 0; r < rounds; r++) {
            for (int turn = 0; turn < 2; turn++) {
                int s = (r & 1) == 0 ? turn : 1 - turn;
                long calls = 0, t0 = System.nanoTime(), t;
                if (QUANTILE > 0) {
                    // Each call timed alone: a low quantile of the call times skips the calls another process
                    // preempted, which on a loaded machine move the mean by more than the change measured.
                    long last = t0;
                    do {
                        call[s].invokeExact();
                        long now = System.nanoTime();
                        if (calls < callTimes.length) callTimes[(int) calls] = now - last;
                        calls++;
                        last = now;
                    } while ((t = last - t0) < budget);
                    int timed = (int) Math.min(calls, callTimes.length);
                    gflops[s][r] = flops / QuantileProperty.of(callTimes, timed, QUANTILE);
                    continue;
                }
                do {
                    call[s].invokeExact();
                    calls++;
                } while ((t = System.nanoTime() - t0) < budget);
                gflops[s][r] = flops * calls / t;
            }
            ratio[r] = gflops[1][r] / gflops[0][r];
        }
        System.out.printf(Locale.ROOT, "  %-20s base %6.1f  new %6.1f GFLOP/s (medians); new / base %.3f [%.3f - %.3f]; per round %s%n",
                m + "x" + n + "x" + k + " " + ops, median(gflops[0]), median(gflops[1]), median(ratio), min(ratio), max(ratio),
                perRound(ratio));
    }

    /** Gemm.gemm(m, n, k, alpha, A, B, beta, C) of the engine in loader, as a handle of no arguments. */
    private static MethodHandle product(ClassLoader loader, int m, int n, int k, float[] a, int lda, boolean transA,
                                        float[] b, int ldb, boolean transB, float[] c, int ldc) throws Throwable {
        Class<?> operand = loader.loadClass("org.panagrad.kernels.GemmOperand");
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodHandle make = lookup.findConstructor(operand, MethodType.methodType(void.class, float[].class, int.class, int.class, boolean.class));
        Object opA = make.invoke(a, 0, lda, transA), opB = make.invoke(b, 0, ldb, transB), opC = make.invoke(c, 0, ldc, false);
        MethodHandle gemm = lookup.findStatic(loader.loadClass("org.panagrad.kernels.Gemm"), "gemm", MethodType.methodType(void.class,
                int.class, int.class, int.class, float.class, operand, operand, float.class, operand));
        return MethodHandles.insertArguments(gemm, 0, m, n, k, ALPHA, opA, opB, BETA, opC);
    }

    private static float[] random(Random rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = rnd.nextFloat() * 2f - 1f;
        return x;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static String perRound(double[] v) {
        List<String> s = new ArrayList<>();
        for (double x : v) s.add(String.format(Locale.ROOT, "%.2f", x));
        return String.join(" ", s);
    }
}

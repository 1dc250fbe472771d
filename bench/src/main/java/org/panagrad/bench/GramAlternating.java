package org.panagrad.bench;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.Random;

/**
 * One Gram product (SymmetricGemm.gram: the packed SYRK or RowGram) of two jars in one JVM, each jar's engine
 * loaded by its own class loader, timed in alternating rounds (the side that goes first swaps every round): on a
 * shared machine both sides see the same load and the same JVM, so the per-round ratio is steadier than two JVMs
 * run one after the other (whose load differs, and whose JIT may decide differently).
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dn=150 -Dk=12800 -Dthreads=1 \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.GramAlternating BASE_JAR NEW_JAR [REPS [ROUNDS]]
 * </pre>
 * {@code -Dcolumns=true} takes X^T X (X k x n), otherwise X X^T (X n x k). {@code -Dupper=true} times the second
 * jar's {@code SymmetricGemm.upperGram} (the upper triangle, zero below: K-FAC's factors since session 18) against
 * the first jar's whole {@code gram} ({@code -Dupper=first}: the first jar's upperGram, for the reversed order; {@code -Dupper=both}: upperGram on both sides). {@code -Dquantile=Q} (e.g. 0.2): a side's time in a round is the Q-quantile of its single calls rather than their mean
 * (on a loaded machine the calls other processes preempt are left out). Each side's bytes allocated per call in
 * its round that allocated least (all threads) are printed too: a Gram that allocates in a loop of its own can pass the kernel
 * tests, whose compilations differ (session 17: the mirror's register transposes, about 900 KB per 785 x 785 call).
 */
public final class GramAlternating {
    private GramAlternating() {}

    public static void main(String[] args) throws Throwable {
        int n = Integer.getInteger("n", 150), k = Integer.getInteger("k", 12_800), threads = Integer.getInteger("threads", 1);
        boolean columns = Boolean.getBoolean("columns");
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 40, rounds = args.length > 3 ? Integer.parseInt(args[3]) : 15;
        float[] x = new float[n * k], c = new float[n * n];
        Random rnd = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
        MethodHandle[] gram = new MethodHandle[2];
        for (int s = 0; s < 2; s++) {
            ClassLoader loader = new URLClassLoader(new URL[] {new File(args[s]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            lookup.findStatic(loader.loadClass("org.panagrad.kernels.Gemm"), "setThreads", MethodType.methodType(void.class, int.class))
                    .invoke(threads);
            String upper = System.getProperty("upper", "");
            String method = upper.equals("both") || (s == 1 && upper.equals("true")) || (s == 0 && upper.equals("first"))
                    ? "upperGram" : "gram";
            gram[s] = lookup.findStatic(loader.loadClass("org.panagrad.kernels.SymmetricGemm"), method, MethodType.methodType(void.class,
                    boolean.class, int.class, int.class, float.class, float[].class, int.class, int.class, float[].class, int.class));
        }
        int lda = columns ? n : k;
        for (int w = 0; w < 3 * reps; w++) {
            for (MethodHandle g : gram) g.invokeExact(columns, n, k, 1f, x, 0, lda, c, 0);
        }
        double[][] ms = new double[2][rounds];
        double quantile = QuantileProperty.read();
        long[] callNs = new long[reps];
        long[] bytes = {Long.MAX_VALUE, Long.MAX_VALUE};
        com.sun.management.ThreadMXBean threadBean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int r = 0; r < rounds; r++) {
            for (int turn = 0; turn < 2; turn++) {
                int s = (r & 1) == 0 ? turn : 1 - turn;
                long b0 = allocated(threadBean), t0 = System.nanoTime(), last = t0;
                for (int i = 0; i < reps; i++) {
                    gram[s].invokeExact(columns, n, k, 1f, x, 0, lda, c, 0);
                    long now = System.nanoTime();
                    callNs[i] = now - last;
                    last = now;
                }
                ms[s][r] = (last - t0) / 1e6 / reps;
                if (quantile > 0) {
                    // A low quantile of single calls leaves out the calls another process preempted.
                    ms[s][r] = QuantileProperty.of(callNs, reps, quantile) / 1e6;
                }
                bytes[s] = Math.min(bytes[s], allocated(threadBean) - b0);
            }
        }
        double[] ratio = new double[rounds];
        StringBuilder perRound = new StringBuilder();
        for (int r = 0; r < rounds; r++) {
            ratio[r] = ms[1][r] / ms[0][r];
            perRound.append(String.format(" %.3f", ratio[r]));
        }
        System.out.printf("%s %d x %d, %d thread(s), %d rounds of %d%s:%n", columns ? "X^T X" : "X X^T", n, k, threads, rounds, reps,
                quantile > 0 ? ", each side's " + quantile + "-quantile of single calls" : "");
        for (int s = 0; s < 2; s++) {
            double[] v = ms[s].clone();
            Arrays.sort(v);
            System.out.printf("  %s %s: median %.3f ms [%.3f - %.3f], %d bytes allocated per call%n", s == 0 ? "base" : "new ", args[s],
                    v[rounds / 2], v[0], v[rounds - 1], bytes[s] / reps);
        }
        Arrays.sort(ratio);
        System.out.printf("  new / base per round: median %.3f [%.3f - %.3f]; in order:%s%n", ratio[rounds / 2], ratio[0], ratio[rounds - 1],
                perRound);
    }

    /** Bytes allocated so far by every live thread (the pool's workers too); the harness's own few bytes per round included. */
    private static long allocated(com.sun.management.ThreadMXBean threadBean) {
        long sum = 0;
        for (long b : threadBean.getThreadAllocatedBytes(threadBean.getAllThreadIds())) sum += Math.max(0, b);
        return sum;
    }
}

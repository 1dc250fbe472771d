package org.panagrad.bench;

import java.io.File;
import java.lang.reflect.*;
import java.net.*;
import java.util.*;

/**
 * The fused attention kernels ({@code Attention.forward}, {@code backward}, {@code secondOrder}) of two benchmark jars
 * in one JVM (each jar its own class loader), at vit-tiny's shapes by default (512 entries = batch 128 x 4 heads, 17
 * tokens, 16 wide, no mask): alternating rounds, the side that goes first swapping every round, each pass the
 * fastest of REPS calls per round; prints each side's median and fastest round and the per-round ratios B/A. The
 * kernels' own A/B, where whole-program times (VitInstructionsAlternating) spread. Random inputs, one thread.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector [-Dentries=16 -Dt=256 -Dd=64] [-Drounds=15 -Dreps=20] \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.AttentionKernelsAlternating A.jar B.jar
 * </pre>
 */
public final class AttentionKernelsAlternating {
    private AttentionKernelsAlternating() {}

    public static void main(String[] args) throws Exception {
        int entries = Integer.getInteger("entries", 512), t = Integer.getInteger("t", 17), d = Integer.getInteger("d", 16);
        int reps = Integer.getInteger("reps", 20), rounds = Integer.getInteger("rounds", 15);
        String[] passes = {"forward", "backward", "secondOrder"};
        Runnable[][] calls = new Runnable[2][3];
        for (int s = 0; s < 2; s++) {
            ClassLoader l = new URLClassLoader(new URL[] {new File(args[s]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            Class<?> gemm = l.loadClass("org.panagrad.kernels.Gemm");
            gemm.getMethod("setThreads", int.class).invoke(null, Integer.getInteger("threads", 1));
            Class<?> dims = l.loadClass("org.panagrad.kernels.AttentionDims"), mask = l.loadClass("org.panagrad.kernels.AttentionMaskLayout");
            Object a = dims.getConstructors()[0].newInstance(entries, t, t, d, d, (float) (1 / Math.sqrt(d)), false);
            Class<?> att = l.loadClass("org.panagrad.kernels.Attention");
            Random rnd = new Random(1);
            int n = entries * t * d;
            float[] q = rnd(rnd, n), k = rnd(rnd, n), v = rnd(rnd, n), g = rnd(rnd, n), tan = rnd(rnd, 3 * n), out = new float[4 * n];
            Method fw = find(att, "forward"), bw = find(att, "backward"), so = find(att, "secondOrder");
            calls[s][0] = () -> call(fw, a, null, q, 0, k, 0, v, 0, out, 0);
            calls[s][1] = () -> call(bw, a, null, q, 0, k, 0, v, 0, g, 0, out, 0, n, 2 * n);
            calls[s][2] = () -> call(so, a, null, q, 0, k, 0, v, 0, g, 0, tan, 0, n, 2 * n, out, 0, n, 2 * n, 3 * n);
        }
        for (int w = 0; w < 5; w++) for (int s = 0; s < 2; s++) for (int p = 0; p < 3; p++) for (int r = 0; r < reps * 5; r++) calls[s][p].run();
        double[][][] times = new double[3][2][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int o = 0; o < 2; o++) {
                int s = (r + o) % 2;
                for (int p = 0; p < 3; p++) {
                    long best = Long.MAX_VALUE;
                    for (int i = 0; i < reps; i++) {
                        long t0 = System.nanoTime();
                        calls[s][p].run();
                        best = Math.min(best, System.nanoTime() - t0);
                    }
                    times[p][s][r] = best / 1e3;
                }
            }
        }
        System.out.printf("entries %d, t %d, d %d, %d rounds, fastest of %d each; A %s, B %s%n", entries, t, d, rounds, reps, args[0], args[1]);
        for (int p = 0; p < 3; p++) {
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = times[p][1][r] / times[p][0][r];
            System.out.printf("%-12s A med %8.1f us min %8.1f | B med %8.1f us min %8.1f | B/A med %.3f, of minima %.3f, rounds %s%n", passes[p],
                    med(times[p][0]), min(times[p][0]), med(times[p][1]), min(times[p][1]), med(ratio), min(times[p][1]) / min(times[p][0]), fmt(ratio));
        }
    }
    private static String fmt(double[] x) { StringBuilder b = new StringBuilder(); for (double v : x) b.append(String.format("%.2f ", v)); return b.toString(); }
    private static double med(double[] x) { double[] c = x.clone(); Arrays.sort(c); return c[c.length / 2]; }
    private static double min(double[] x) { return Arrays.stream(x).min().getAsDouble(); }
    private static float[] rnd(Random r, int n) { float[] x = new float[n]; for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1; return x; }
    private static Method find(Class<?> c, String name) { for (Method m : c.getMethods()) if (m.getName().equals(name)) return m; throw new IllegalStateException(name); }
    private static void call(Method m, Object... args) { try { m.invoke(null, args); } catch (Exception e) { throw new RuntimeException(e); } }
}

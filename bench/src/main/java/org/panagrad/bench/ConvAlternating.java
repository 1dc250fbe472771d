package org.panagrad.bench;

import java.io.File;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.Random;

/**
 * ConvBench's convolutions (shape by shape, pass by pass) of two jars in one JVM, each jar's engine loaded by its
 * own class loader, timed in alternating rounds (the side that goes first swaps every round) after
 * {@code -DwarmUpRounds} (6) untimed ones, as
 * {@link GramAlternating}: both sides see the same load and the same JVM, so the per-round ratio is steadier than
 * two forks run one after the other. With {@code -Dclock=cpu} (one thread only: the calls then run on the calling
 * thread) a round is timed in the thread's CPU time, which leaves out the time another process holds the core.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dthreads=1 \
 *   -Dshapes=resnet8.layer1,resnet8.layer2.conv1 -Dpasses=forward,input_grad,weight_grad \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.ConvAlternating BASE_JAR NEW_JAR [REPS [ROUNDS]]
 * </pre>
 */
public final class ConvAlternating {
    private ConvAlternating() {}

    public static void main(String[] args) throws Throwable {
        int threads = Integer.getInteger("threads", 1), warmUp = Integer.getInteger("warmUpRounds", 6);
        String[] shapes = System.getProperty("shapes", "resnet8.layer1").split(",");
        String[] passes = System.getProperty("passes", "forward,input_grad,weight_grad").split(",");
        boolean cpu = "cpu".equals(System.getProperty("clock", "wall"));
        if (cpu && threads != 1) throw new IllegalArgumentException("-Dclock=cpu times the calling thread only: use -Dthreads=1");
        java.lang.management.ThreadMXBean clock = java.lang.management.ManagementFactory.getThreadMXBean();
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 10, rounds = args.length > 3 ? Integer.parseInt(args[3]) : 9;
        Class<?>[] shapeClass = new Class<?>[2];
        MethodHandle[][] pass = new MethodHandle[2][3];
        for (int s = 0; s < 2; s++) {
            ClassLoader loader = new URLClassLoader(new URL[] {new File(args[s]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            lookup.findStatic(loader.loadClass("org.panagrad.kernels.Gemm"), "setThreads", MethodType.methodType(void.class, int.class))
                    .invoke(threads);
            Class<?> conv = loader.loadClass("org.panagrad.kernels.Convolution");
            shapeClass[s] = loader.loadClass("org.panagrad.kernels.ConvShape");
            pass[s][0] = lookup.findStatic(conv, "forward", MethodType.methodType(void.class, shapeClass[s], float[].class, int.class,
                    float[].class, int.class, float[].class, int.class, boolean.class, float[].class, int.class));
            pass[s][1] = lookup.findStatic(conv, "inputGradient", MethodType.methodType(void.class, shapeClass[s], float[].class,
                    int.class, float[].class, int.class, float[].class, int.class));
            pass[s][2] = lookup.findStatic(conv, "weightGradient", MethodType.methodType(void.class, shapeClass[s], float[].class,
                    int.class, float[].class, int.class, float[].class, int.class));
        }
        System.out.printf("%d thread(s), %d rounds of %d calls, %s time; base %s, new %s%n", threads, rounds, reps,
                cpu ? "thread CPU" : "wall-clock", args[0], args[1]);
        for (String shape : shapes) {
            int[] d = ConvBench.SHAPES.get(shape);
            if (d == null) throw new IllegalArgumentException("unknown shape " + shape + "; one of " + ConvBench.SHAPES.keySet());
            Object[] shapeOf = new Object[2];
            for (int s = 0; s < 2; s++) {
                shapeOf[s] = shapeClass[s].getConstructors()[0].newInstance(ConvBench.BATCH, d[0], d[1], d[2], d[3], d[4], d[4], d[5], d[5],
                        d[6], d[6], 1, 1, 1);
            }
            int outH = (d[1] + 2 * d[6] - d[4]) / d[5] + 1, outW = (d[2] + 2 * d[6] - d[4]) / d[5] + 1;
            Random rnd = new Random(1);
            float[] x = GemmBench.random(rnd, ConvBench.BATCH * d[0] * d[1] * d[2]);
            float[] w = GemmBench.random(rnd, d[3] * d[0] * d[4] * d[4]);
            float[] bias = GemmBench.random(rnd, d[3]);
            float[] y = GemmBench.random(rnd, ConvBench.BATCH * d[3] * outH * outW);
            float[] dx = new float[x.length], dw = new float[w.length], out = new float[y.length];
            for (String p : passes) {
                int which = Arrays.asList("forward", "input_grad", "weight_grad").indexOf(p);
                if (which < 0) throw new IllegalArgumentException("pass is forward, input_grad or weight_grad, not " + p);
                double[][] ms = new double[2][rounds];
                for (int r = -warmUp; r < rounds; r++) {
                    for (int turn = 0; turn < 2; turn++) {
                        int s = (r & 1) == 0 ? turn : 1 - turn;
                        MethodHandle h = pass[s][which];
                        long t0 = cpu ? clock.getCurrentThreadCpuTime() : System.nanoTime();
                        for (int i = 0; i < reps; i++) {
                            if (which == 0) h.invoke(shapeOf[s], x, 0, w, 0, bias, 0, false, out, 0);
                            else if (which == 1) h.invoke(shapeOf[s], y, 0, w, 0, dx, 0);
                            else h.invoke(shapeOf[s], x, 0, y, 0, dw, 0);
                        }
                        long t1 = cpu ? clock.getCurrentThreadCpuTime() : System.nanoTime();
                        if (r >= 0) ms[s][r] = (t1 - t0) / 1e6 / reps;
                    }
                }
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) ratio[r] = ms[1][r] / ms[0][r];
                double[] a = ms[0].clone(), b = ms[1].clone();
                Arrays.sort(a);
                Arrays.sort(b);
                Arrays.sort(ratio);
                System.out.printf("%-26s %-11s base %7.3f ms  new %7.3f ms  new/base %.3f [%.3f - %.3f]%n", shape, p, a[rounds / 2],
                        b[rounds / 2], ratio[rounds / 2], ratio[0], ratio[rounds - 1]);
            }
        }
    }
}

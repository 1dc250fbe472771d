package org.panagrad.bench;

import java.io.File;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.List;

/**
 * TrainStepBench's training step (plain SGD, a fixed random batch) of two jars in one JVM, each jar's engine and
 * bench loaded by its own class loader, timed in alternating rounds (the side that goes first swaps every round)
 * after {@code -DwarmUp} (300) untimed steps per side, as {@link ConvAlternating}: both sides see the same load and
 * the same JVM. Prints each round's milliseconds per step and the median ratio new / base. With {@code -Dclock=cpu}
 * (one thread only: every instruction then runs on the calling thread) steps are timed in that thread's CPU time,
 * which leaves out the time other processes hold the core, as {@link ConvAlternating}'s. With {@code -Dquantile=Q}
 * (e.g. 0.2) a round's time is the Q-quantile of its single steps rather than their mean: on a loaded machine the
 * steps that other processes preempt are left out.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dmodel=resnet8 -Dthreads=1 \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.StepAlternating BASE_JAR NEW_JAR [STEPS_PER_ROUND [ROUNDS]]
 * </pre>
 */
public final class StepAlternating {
    private StepAlternating() {}

    public static void main(String[] args) throws Throwable {
        String model = System.getProperty("model", "resnet8");
        int threads = Integer.getInteger("threads", 1), batch = Integer.getInteger("batch", 128), warmUp = Integer.getInteger("warmUp", 300);
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 10, rounds = args.length > 3 ? Integer.parseInt(args[3]) : 9;
        boolean cpu = "cpu".equals(System.getProperty("clock", "wall"));
        if (cpu && threads != 1) throw new IllegalArgumentException("-Dclock=cpu times the calling thread only: use -Dthreads=1");
        java.lang.management.ThreadMXBean clock = java.lang.management.ManagementFactory.getThreadMXBean();
        MethodHandle[] step = new MethodHandle[2];
        for (int s = 0; s < 2; s++) step[s] = compileStep(args[s], model, batch, threads);
        System.out.printf("%s batch %d, %d thread(s), %d warm-up steps per side, %d rounds of %d steps, %s time; base %s, new %s%n",
                model, batch, threads, warmUp, rounds, reps, cpu ? "thread CPU" : "wall-clock", args[0], args[1]);
        for (int i = 0; i < warmUp; i++) {
            for (MethodHandle h : step) {
                float loss = (float) h.invoke();
                if (!Float.isFinite(loss)) throw new IllegalStateException("loss " + loss + " at warm-up step " + i);
            }
        }
        double[][] ms = new double[2][rounds];
        double quantile = QuantileProperty.read();
        long[] stepTimes = new long[reps];
        for (int r = 0; r < rounds; r++) {
            for (int turn = 0; turn < 2; turn++) {
                int s = (r & 1) == 0 ? turn : 1 - turn;
                long t0 = cpu ? clock.getCurrentThreadCpuTime() : System.nanoTime(), last = t0;
                for (int i = 0; i < reps; i++) {
                    float loss = (float) step[s].invoke();
                    if (!Float.isFinite(loss)) throw new IllegalStateException("loss " + loss);
                    long now = cpu ? clock.getCurrentThreadCpuTime() : System.nanoTime();
                    stepTimes[i] = now - last;
                    last = now;
                }
                if (quantile > 0) {
                    // A low quantile of single steps leaves out the steps another process preempted.
                    ms[s][r] = QuantileProperty.of(stepTimes, reps, quantile) / 1e6;
                } else {
                    ms[s][r] = (last - t0) / 1e6 / reps;
                }
            }
            System.out.printf("  round %d: base %.2f ms, new %.2f ms, new/base %.3f%n", r, ms[0][r], ms[1][r], ms[1][r] / ms[0][r]);
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = ms[1][r] / ms[0][r];
        double[] a = ms[0].clone(), b = ms[1].clone();
        Arrays.sort(a);
        Arrays.sort(b);
        Arrays.sort(ratio);
        System.out.printf("%s %d thread(s): base %.2f ms  new %.2f ms  new/base %.3f [%.3f - %.3f] (medians; range of ratios)%n", model, threads,
                a[rounds / 2], b[rounds / 2], ratio[rounds / 2], ratio[0], ratio[rounds - 1]);
    }

    /** A compiled training step of the jar's own ModelFixture and TrainingStep, as TrainStepBench sets it up; a handle to its run(). */
    private static MethodHandle compileStep(String jar, String model, int batch, int threads) throws Throwable {
        ClassLoader loader = new URLClassLoader(new URL[] {new File(jar).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
        loader.loadClass("org.panagrad.kernels.Gemm").getMethod("setThreads", int.class).invoke(null, threads);
        Class<?> fixtureClass = loader.loadClass("org.panagrad.bench.ModelFixture");
        Constructor<?> make = fixtureClass.getDeclaredConstructor(String.class, int.class, long.class);
        make.setAccessible(true);
        Object f = make.newInstance(model, batch, 42L);
        Object store = field(fixtureClass, f, "store"), loss = field(fixtureClass, f, "loss"), updates = field(fixtureClass, f, "stateUpdates");
        Method parameters = fixtureClass.getDeclaredMethod("parameters");
        parameters.setAccessible(true);
        Class<?> schedule = loader.loadClass("org.panagrad.optim.LearningRateSchedule");
        Object lr = schedule.getMethod("constant", double.class).invoke(null, 1e-3);
        Object sgd = loader.loadClass("org.panagrad.optim.Sgd").getMethod("plain", schedule).invoke(null, lr);
        Class<?> optimizer = loader.loadClass("org.panagrad.optim.Optimizer"), trainingStep = loader.loadClass("org.panagrad.optim.TrainingStep");
        Method compile = trainingStep.getMethod("compile", loader.loadClass("org.panagrad.runtime.ParameterStore"),
                loader.loadClass("org.panagrad.graph.Node"), List.class, optimizer, boolean.class, List.class);
        Object step = compile.invoke(null, store, loss, parameters.invoke(f), sgd, false, updates);
        Method feed = fixtureClass.getDeclaredMethod("feed", loader.loadClass("org.panagrad.runtime.Program"));
        feed.setAccessible(true);
        feed.invoke(f, trainingStep.getMethod("program").invoke(step));
        return MethodHandles.publicLookup().findVirtual(trainingStep, "run", MethodType.methodType(float.class)).bindTo(step);
    }

    private static Object field(Class<?> c, Object o, String name) throws ReflectiveOperationException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }
}

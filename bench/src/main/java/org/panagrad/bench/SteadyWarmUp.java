package org.panagrad.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.panagrad.kernels.AllocationMeter;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;

/**
 * Runs a benchmark method until its calls allocate nothing, before JMH's own warm-up and measurement, and says so
 * loudly when they still allocate after a time budget (the fork then goes on, and -prof gc shows the bytes).
 * <p>
 * Why: HotSpot compiles a method with C2 once it has been invoked about 600 times (Tier4MinInvocationThreshold,
 * raised further while C2's queue is long) or has looped about 40,000 times (an OSR compilation). Until then its
 * Vector API calls run as C1 or interpreted code, which allocates a heap vector per operation and runs several
 * times slower. The vector kernels a program calls once or a few times per run (NarrowGemm's packing, a unary op
 * over all parameters, a pooling pass) reach C2 only after hundreds of runs: lenet5's exact GGN diagonal needed
 * over 60 s of calls under load, while JMH's fixed warm-up of 5 s measured forks that were still allocating
 * megabytes per call (-XX:+PrintCompilation: those kernels at tier 3, no compilation failed). Which kernels were
 * compiled in time depended on the machine's load, so such forks came and went.
 * <p>
 * Counts the bytes the calling thread and the GEMM worker threads allocate ({@link AllocationMeter}); a call made
 * through reflection boxes its float result, so up to {@link #NOISE_BYTES} per call counts as nothing.
 */
final class SteadyWarmUp {
    /** The reflective call's own allocation (a boxed result) and JMH's stray bytes. */
    static final long NOISE_BYTES = 64;
    /** -Dpanagrad.warmUpBudget=SECONDS: how long a fork warms up at most. */
    static final long BUDGET_SECONDS = Long.getLong("panagrad.warmUpBudget", 120);

    private SteadyWarmUp() {}

    /**
     * Calls the benchmark method JMH is about to measure (on bench, without arguments) in windows of at least
     * half a second until a window allocates no more than {@link #NOISE_BYTES} per call, or until
     * {@link #BUDGET_SECONDS} have passed; prints which.
     */
    static void untilSteady(BenchmarkParams params, Object bench) {
        String name = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        Method method;
        try {
            method = bench.getClass().getMethod(name);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("no benchmark method " + name + " on " + bench.getClass().getName(), e);
        }
        long start = System.nanoTime(), deadline = start + TimeUnit.SECONDS.toNanos(BUDGET_SECONDS);
        long perCall;
        int windows = 0;
        do {
            AllocationMeter meter = AllocationMeter.start();
            long windowStart = System.nanoTime();
            int calls = 0;
            do {
                call(method, bench);
                calls++;
            } while (System.nanoTime() - windowStart < TimeUnit.MILLISECONDS.toNanos(500));
            perCall = meter.bytes() / calls;
            windows++;
            if (perCall <= NOISE_BYTES) {
                System.out.printf("# steady after %.1f s of warm-up (%d windows): %d bytes per call%n",
                        (System.nanoTime() - start) / 1e9, windows, perCall);
                return;
            }
        } while (System.nanoTime() < deadline);
        System.out.printf("# NOT STEADY: %s still allocates %d bytes per call after %d s of warm-up: a kernel still"
                + " runs as C1 code (-XX:+PrintCompilation shows which stayed at tier 3) or the program allocates;"
                + " -Dpanagrad.warmUpBudget=SECONDS waits longer%n", params.getBenchmark(), perCall, BUDGET_SECONDS);
    }

    private static void call(Method method, Object bench) {
        try {
            method.invoke(bench);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("warm-up call of " + method.getName() + " failed", e.getCause());
        }
    }
}

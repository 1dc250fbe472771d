package org.panagrad.spark;

import org.panagrad.kernels.Gemm;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The per-JVM cache of compiled models on an executor, keyed by model fingerprint and chunk size. A task borrows
 * an idle {@link ShardEvaluator} (building one only when every existing one is busy, so a JVM compiles at most one
 * per concurrent task slot) and returns it when done; later jobs, and the many products of a power iteration or
 * a Lanczos run, reuse the compiled programs. Before anything is evaluated, the fingerprint this JVM computes
 * for the spec must equal the driver's.
 */
public final class ExecutorModels {
    private static final Map<ModelSpec, String> FINGERPRINTS = new ConcurrentHashMap<>();
    private static final Map<String, ConcurrentLinkedQueue<ShardEvaluator>> IDLE = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> BUILT = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /**
     * Runs {@code work} with an evaluator of {@code spec}, after checking this JVM's fingerprint of it against the
     * driver's and setting the kernels' thread count.
     *
     * @throws IllegalStateException naming both fingerprints when they differ
     */
    public static <T> T with(ModelSpec spec, String driverFingerprint, int chunk, int threads, Function<ShardEvaluator, T> work) {
        String local = FINGERPRINTS.computeIfAbsent(spec, Fingerprint::of);
        if (!local.equals(driverFingerprint)) {
            throw new IllegalStateException("model fingerprint mismatch for " + spec + ": the driver's is " + driverFingerprint
                    + ", this executor's is " + local + " (are the driver and the executors running the same Panagrad jars?)");
        }
        if (Gemm.threads() != threads) Gemm.setThreads(threads);
        String key = key(local, chunk);
        ConcurrentLinkedQueue<ShardEvaluator> idle = IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
        ShardEvaluator evaluator = idle.poll();
        if (evaluator == null) {
            evaluator = new ShardEvaluator(spec, chunk);
            BUILT.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }
        try {
            return work.apply(evaluator);
        } finally {
            idle.add(evaluator);
        }
    }

    /**
     * Evaluators of {@code spec} at {@code chunk} built in this JVM so far (each compiles its programs once): at
     * most the number of tasks that ever ran at the same time, however many jobs ran.
     */
    public static int evaluatorsBuilt(ModelSpec spec, int chunk) {
        AtomicInteger built = BUILT.get(key(FINGERPRINTS.computeIfAbsent(spec, Fingerprint::of), chunk));
        return built == null ? 0 : built.get();
    }

    private static String key(String fingerprint, int chunk) {
        return fingerprint + "/" + chunk;
    }
}

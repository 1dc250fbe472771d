package org.panagrad.spark.cli;

import org.apache.spark.api.java.JavaRDD;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.spark.BarrierTraining;
import org.panagrad.spark.DatasetLoss;
import org.panagrad.spark.FlatUpdate;
import org.panagrad.spark.LocalLoss;
import org.panagrad.spark.ModelSpec;
import org.panagrad.spark.ModelZoo;
import org.panagrad.spark.Selection;
import org.panagrad.spark.Shard;
import org.panagrad.spark.SparkData;
import org.panagrad.spark.SparkLoss;
import org.panagrad.spark.StratifiedBatches;
import org.panagrad.spark.SynchronousTraining;
import org.panagrad.spark.Classifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The README's measurements: one whole-data-set gradient and one HVP, distributed at each partition count and
 * in one process at --threads threads, alternating sides round after round on the same JVM; Spark's fixed cost
 * per job and the cost of aggregating one parameter-sized vector per partition, measured directly, give the cost
 * model; synchronous data-parallel SGD against the engine's single-process training step at the same batch.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Times distributed gradients, HVPs and SGD steps against single-process Panagrad, alternating, and fits the cost model.")
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ClusterOptions cluster;

    @Option(names = "--partition-counts", defaultValue = "1,2,4", split = ",", description = "Partition counts to time (default: ${DEFAULT-VALUE}).")
    int[] partitionCounts;

    @Option(names = "--threads", defaultValue = "2", description = "Kernel threads of the single-process side (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds, each timing every configuration once (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--repeats", defaultValue = "5", description = "Calls per configuration and round; the median counts (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--sgd-batch", defaultValue = "1024", description = "Global batch of the SGD comparison (default: ${DEFAULT-VALUE}; 0 skips it).")
    int sgdBatch;

    @Option(names = "--sgd-steps", defaultValue = "58",
            description = "SGD steps timed per round, one barrier stage (default: ${DEFAULT-VALUE}, an epoch of MNIST at batch 1024; "
                    + "290 is five epochs, as train --epochs-per-stage 5 runs them).")
    int sgdSteps;

    @Option(names = "--sgd-only", description = "Time only the SGD comparison, at --partitions partitions.")
    boolean sgdOnly;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ClusterOptions.Cluster c = cluster.open("panagrad bench")) {
            ModelSpec model = cluster.spec();
            Shard all = c.train();
            LocalLoss single = new LocalLoss(model, all, cluster.chunk);
            float[] theta = single.initialParameters(1);
            float[] v = single.initialParameters(2);
            Map<Integer, SparkLoss> distributed = new LinkedHashMap<>();
            if (sgdOnly) partitionCounts = new int[] {cluster.partitions};
            for (int p : partitionCounts) {
                JavaRDD<Shard> shards = SparkData.parallelize(c.context(), SparkData.split(all.features(), all.labels(), all.width(), p));
                distributed.put(p, new SparkLoss(c.context(), shards, model, cluster.settings()));
            }
            out.printf(Locale.ROOT, "%s, %,d parameters, %,d images; Spark %s, master %s; single process at %d threads; "
                            + "executors at %d thread(s) per task; chunk %d, tree depth %d; %d rounds x %d calls (medians)%n",
                    model, single.dimension(), all.count(), c.context().version(), cluster.master, threads,
                    cluster.executorThreads, cluster.chunk, cluster.treeDepth, rounds, repeats);
            out.flush();
            Map<String, List<Double>> times = new LinkedHashMap<>();
            breakdown = new JobBreakdown(c.context());
            float[] g = new float[single.dimension()], hv = new float[single.dimension()];
            try { // the listener goes whatever a call throws
                for (int r = 0; r <= (sgdOnly ? -1 : rounds); r++) { // round 0 warms up every path (JIT, compilation, caches)
                    Gemm.setThreads(threads);
                    record("single gradient", r, times, median(() -> single.lossAndGradient(theta, Selection.all(), g)));
                    try (DatasetLoss.Curvature h = single.curvature(theta, Selection.all(), CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE)) {
                        record("single hvp", r, times, median(() -> h.apply(v, hv)));
                    }
                    for (Map.Entry<Integer, SparkLoss> e : distributed.entrySet()) {
                        SparkLoss loss = e.getValue();
                        String p = e.getKey() + " partitions";
                        String phase = r == 0 ? null : p;
                        record(p + " gradient", r, times, median(phase == null ? null : phase + " gradient",
                                () -> loss.lossAndGradient(theta, Selection.all(), g)));
                        try (DatasetLoss.Curvature h = loss.curvature(theta, Selection.all(), CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE)) {
                            record(p + " hvp", r, times, median(phase == null ? null : phase + " hvp", () -> h.apply(v, hv)));
                        }
                        record(p + " empty job", r, times, median(() -> loss.emptyJob(false)));
                        record(p + " aggregation job", r, times, median(() -> loss.emptyJob(true)));
                    }
                    Gemm.setThreads(threads);
                    if (r > 0) {
                        out.printf(Locale.ROOT, "round %d:", r);
                        times.forEach((k, list) -> out.printf(Locale.ROOT, "  %s %.0f ms (CPU %.0f);", k, list.get(list.size() - 1),
                                cpuTimes.get(k).get(list.size() - 1)));
                        out.println();
                        out.flush();
                    }
                }
            } finally {
                breakdown.close(); // the labelled calls are done
            }
            if (sgdOnly) {
                sgd(out, c, single, distributed.get(cluster.partitions), theta);
                out.flush();
                return 0;
            }
            out.println();
            out.println("| operation | single process | " + String.join(" | ", distributed.keySet().stream().map(p -> p + " partitions").toList()) + " |");
            out.println("| --- | ---: |" + " ---: |".repeat(distributed.size()));
            for (Map<String, List<Double>> source : List.of(times, cpuTimes)) {
                String what = source == times ? "wall" : "CPU";
                for (String op : List.of("gradient", "hvp")) {
                    double base = med(source.get("single " + op));
                    StringBuilder row = new StringBuilder("| " + op + ", " + what + " | " + String.format(Locale.ROOT, "%.0f ms", base));
                    for (int p : distributed.keySet()) {
                        double t = med(source.get(p + " partitions " + op));
                        row.append(String.format(Locale.ROOT, " | %.0f ms (%.2fx)", t, t / base));
                    }
                    out.println(row.append(" |"));
                }
            }
            for (String job : List.of("empty job", "aggregation job")) {
                StringBuilder row = new StringBuilder("| " + job + ", wall | |");
                for (int p : distributed.keySet()) row.append(String.format(Locale.ROOT, " %.1f ms |", med(times.get(p + " partitions " + job))));
                out.println(row);
            }
            out.println();
            out.println("where a distributed call's wall time goes (medians; task parts are the slowest task's):");
            breakdown.report().forEach(line -> out.println("  " + line));
            out.println();
            costModel(out, times, distributed.keySet(), c.context().defaultParallelism());
            if (sgdBatch > 0) sgd(out, c, single, distributed.get(cluster.partitions), theta);
        }
        out.flush();
        return 0;
    }

    /** Fits a {@link CostModel} to each operation's medians at every partition count and sets its predictions beside them. */
    private void costModel(PrintWriter out, Map<String, List<Double>> times, Collection<Integer> counts, int slots) {
        int[] n = counts.stream().mapToInt(Integer::intValue).toArray();
        double[] aggregation = new double[n.length], job = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            job[i] = job(times, n[i]);
            aggregation[i] = aggregation(times, n[i]);
        }
        for (String op : List.of("gradient", "hvp")) {
            double[] t = new double[n.length];
            for (int i = 0; i < n.length; i++) t[i] = med(times.get(n[i] + " partitions " + op));
            CostModel model = CostModel.fit(n, t, aggregation, job, slots);
            out.printf(Locale.ROOT, "cost model, %s: T(N) = %.0f ms / min(N, %d task slots) + A(N) + F, C fitted by least squares over "
                    + "N = %s; F and A(N) measured by the empty and the aggregation-only jobs%n", op, model.compute(), slots, counts);
            for (int i = 0; i < n.length; i++) {
                double predicted = model.predict(n[i], aggregation[i], job[i]);
                out.printf(Locale.ROOT, "  N = %d: predicted %.0f ms (compute %.0f + aggregation %.1f + job %.1f), measured %.0f ms (%+.0f%%)%n",
                        n[i], predicted, model.computeAt(n[i]), aggregation[i], job[i], t[i], 100 * (predicted - t[i]) / t[i]);
            }
        }
    }

    private double job(Map<String, List<Double>> times, int n) {
        return med(times.get(n + " partitions empty job"));
    }

    private double aggregation(Map<String, List<Double>> times, int n) {
        return med(times.get(n + " partitions aggregation job")) - job(times, n);
    }

    /**
     * Synchronous data-parallel SGD (momentum 0.9), as one barrier stage and as one job per step, against the
     * engine's fused training step at the same batch.
     */
    private void sgd(PrintWriter out, ClusterOptions.Cluster c, LocalLoss single, SparkLoss loss, float[] theta) {
        ModelSpec model = cluster.spec();
        Shard all = c.train();
        long[][] layout = loss.layout();
        int[] counts = new int[layout[1].length];
        for (int i = 0; i < counts.length; i++) counts[i] = (int) layout[1][i];
        StratifiedBatches batches = new StratifiedBatches(layout[0], counts, sgdBatch, 1);
        // The single-process side: one compiled program with forward, backward and the fused update.
        Graph graph = new Graph();
        Classifier m = ModelZoo.build(model, graph);
        ParameterStore store = new ParameterStore();
        m.initialize(store, 1);
        Node x = m.input(graph, "x", sgdBatch), y = graph.labels("y", sgdBatch, m.classes());
        TrainingStep step = TrainingStep.compile(store, SoftmaxCrossEntropy.of(m.logits(x), y), m.parameters(),
                Sgd.momentum(LearningRateSchedule.constant(0.1), 0.9, false), false);
        float[] xs = new float[sgdBatch * all.width()];
        int[] ys = new int[sgdBatch];
        BarrierTraining barrier = new BarrierTraining(loss, batches);
        List<Double> singleRate = new ArrayList<>(), jobRate = new ArrayList<>(), barrierRate = new ArrayList<>();
        for (int r = 0; r <= rounds; r++) {
            Gemm.setThreads(threads);
            long t = System.nanoTime(), c0 = OS.getProcessCpuTime();
            for (int s = 0; s < sgdSteps; s++) {
                long[] rows = ((Selection.Indices) batches.batch(0, s % batches.stepsPerEpoch())).sorted();
                for (int i = 0; i < sgdBatch; i++) {
                    System.arraycopy(all.features(), (int) rows[i] * all.width(), xs, i * all.width(), all.width());
                    ys[i] = all.labels()[(int) rows[i]];
                }
                step.program().set(x, xs, 0);
                step.program().setLabels(y, ys, 0);
                step.run();
            }
            double single1 = sgdSteps * (double) sgdBatch / ((System.nanoTime() - t) / 1e9);
            double singleCpu = (OS.getProcessCpuTime() - c0) / 1e6 / sgdSteps;
            // One barrier stage of sgdSteps steps, its start-up (task launch, connections) included.
            t = System.nanoTime();
            c0 = OS.getProcessCpuTime();
            BarrierTraining.Result run = barrier.run(FlatUpdate.sgd(theta.length, 0.1, 0.9), theta, loss.initialBuffers(1), 0, sgdSteps);
            double barSeconds = (System.nanoTime() - t) / 1e9;
            double bar = sgdSteps * (double) sgdBatch / barSeconds;
            double barCpu = (OS.getProcessCpuTime() - c0) / 1e6 / sgdSteps;
            // One job per step: the earlier synchronous trainer, timed over at most 20 steps (each costs a job).
            int jobSteps = Math.min(sgdSteps, 20);
            SynchronousTraining sync = new SynchronousTraining(loss, batches, FlatUpdate.sgd(theta.length, 0.1, 0.9), theta);
            t = System.nanoTime();
            c0 = OS.getProcessCpuTime();
            for (int s = 0; s < jobSteps; s++) sync.step();
            double job = jobSteps * (double) sgdBatch / ((System.nanoTime() - t) / 1e9);
            double jobCpu = (OS.getProcessCpuTime() - c0) / 1e6 / jobSteps;
            if (r == 0) continue;
            singleRate.add(single1);
            barrierRate.add(bar);
            jobRate.add(job);
            out.printf(Locale.ROOT, "SGD round %d: single process %.0f images/s (%.1f ms CPU per step); %d partitions in %d barrier tasks "
                            + "%.0f images/s (%.1f ms CPU per step): %.2fx the time; one job per step %.0f images/s (%.1f ms CPU per step): %.2fx%n",
                    r, single1, singleCpu, counts.length, barrier.tasks(), bar, barCpu, single1 / bar, job, jobCpu, single1 / job);
            // The barrier run's cost model: stage start-up and end (launch, connections, result) + steps x (gradient + all-reduce + update).
            double stepsSeconds = run.computeSeconds() + run.exchangeSeconds() + run.updateSeconds();
            out.printf(Locale.ROOT, "  barrier stage of %.0f ms = start-up and end %.0f ms (task 0 from its start to its first step %.0f ms) "
                            + "+ %d steps x (gradient %.2f ms + all-reduce %.2f ms + update %.2f ms) in task 0; single-process step %.2f ms%n",
                    1e3 * barSeconds, 1e3 * (barSeconds - stepsSeconds), 1e3 * run.setupSeconds(), sgdSteps,
                    1e3 * run.computeSeconds() / sgdSteps, 1e3 * run.exchangeSeconds() / sgdSteps, 1e3 * run.updateSeconds() / sgdSteps,
                    1e3 * sgdBatch / single1);
            out.flush();
        }
        out.printf(Locale.ROOT, "synchronous SGD at batch %d, %d steps per stage: single process %.0f images/s; %d partitions: barrier stage %.0f images/s "
                        + "(%.2fx the time per step), one job per step %.0f images/s (%.2fx) (medians)%n",
                sgdBatch, sgdSteps, med(singleRate), counts.length, med(barrierRate), med(singleRate) / med(barrierRate),
                med(jobRate), med(singleRate) / med(jobRate));
    }

    private void record(String key, int round, Map<String, List<Double>> times, double ms) {
        if (round == 0) return;
        times.computeIfAbsent(key, k -> new ArrayList<>()).add(ms);
        cpuTimes.computeIfAbsent(key, k -> new ArrayList<>()).add(lastCpu);
    }

    /** The JVM's CPU time per configuration: on a shared machine, wall time also measures the neighbours. */
    private final Map<String, List<Double>> cpuTimes = new LinkedHashMap<>();

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** The median wall time of the calls, in ms; the median CPU time this JVM used meanwhile goes to {@link #lastCpu}. */
    private double median(Runnable call) {
        return median(null, call);
    }

    /** The same, filing each call's {@link JobBreakdown} under {@code label} unless it is null. */
    private double median(String label, Runnable call) {
        double[] ms = new double[repeats], cpu = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            if (label != null) breakdown.begin();
            long t = System.nanoTime(), c = OS.getProcessCpuTime();
            call.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
            cpu[i] = (OS.getProcessCpuTime() - c) / 1e6;
            if (label != null) breakdown.end(label, ms[i]);
        }
        Arrays.sort(ms);
        Arrays.sort(cpu);
        lastCpu = cpu[repeats / 2];
        return ms[repeats / 2];
    }

    /** CPU time of this JVM (every thread: tasks, Spark's own, GC) during the last {@link #median} call. */
    private double lastCpu;

    private JobBreakdown breakdown;

    /** The median; of an even count, the mean of the middle two. */
    static double med(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}

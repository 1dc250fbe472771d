package org.panagrad.spark.cli;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Where the wall time of a distributed call goes, from Spark's own listener events: the driver's time outside
 * the job (the broadcasts before it, the division after), the scheduler's time from the job's start to its first
 * task's launch (stage creation, task serialization and launch), the tasks' deserialization (closure, broadcasts),
 * run (the compiled programs over the shard) and result serialization, the driver's fetch of a result too large to
 * travel in the task's status message, and from the last task's end to the job's end (the driver's merge). Each component is the median over the calls measured under one
 * label; the task components are the slowest task's. Close it to remove its listener from the context.
 */
final class JobBreakdown extends SparkListener implements AutoCloseable {
    private final JavaSparkContext sc;
    private final Map<String, List<double[]>> calls = new LinkedHashMap<>();
    private long jobStart = -1, jobEnd = -1, firstLaunch = Long.MAX_VALUE, lastFinish = -1;
    private double deserialize, run, cpu, serialize, gc, fetch;
    private int jobs;
    private boolean undrained;

    private static final String[] PARTS = {"outside the job", "to the first task", "task deserialization", "task run",
            "task CPU", "task GC", "result serialization",
            "result fetch", "last task to job end"};

    JobBreakdown(JavaSparkContext sc) {
        this.sc = sc;
        sc.sc().addSparkListener(this);
    }

    /**
     * Starts a call: first lets the listener bus deliver every event already posted, so that a late event of an
     * earlier job (an unlabelled one, say) cannot land in this call's window, then resets the counters.
     */
    void begin() {
        boolean drained = drained();
        synchronized (this) {
            jobStart = jobEnd = lastFinish = -1;
            firstLaunch = Long.MAX_VALUE;
            deserialize = run = cpu = serialize = gc = fetch = 0;
            jobs = 0;
            undrained = !drained; // earlier events may still arrive: end() files nothing for this call
        }
    }

    /** Ends a call of {@code wallMs} and files its breakdown under {@code label}; calls of several jobs are skipped. */
    void end(String label, double wallMs) {
        if (!drained()) return; // a breakdown missing its events is not reported
        synchronized (this) {
            if (undrained || jobs != 1 || jobStart < 0 || jobEnd < 0 || lastFinish < 0) return;
            double job = jobEnd - jobStart;
            calls.computeIfAbsent(label, k -> new ArrayList<>()).add(new double[] {wallMs - job, firstLaunch - jobStart, deserialize,
                    run, cpu, gc, serialize, fetch, jobEnd - lastFinish});
        }
    }

    /** Whether the listener bus delivered every posted event within 10 s. */
    private boolean drained() {
        try {
            sc.sc().listenerBus().waitUntilEmpty(10_000);
            return true;
        } catch (TimeoutException e) {
            return false;
        }
    }

    /** One line per label: the median of each component, in ms. */
    synchronized List<String> report() {
        List<String> lines = new ArrayList<>();
        calls.forEach((label, list) -> {
            StringBuilder b = new StringBuilder(label + " (" + list.size() + " calls):");
            for (int i = 0; i < PARTS.length; i++) {
                double[] xs = new double[list.size()];
                for (int k = 0; k < xs.length; k++) xs[k] = list.get(k)[i];
                java.util.Arrays.sort(xs);
                b.append(String.format(Locale.ROOT, " %s %.0f ms;", PARTS[i], xs[xs.length / 2]));
            }
            lines.add(b.toString());
        });
        return lines;
    }

    /** Removes the listener; the calls filed so far stay reportable. */
    @Override
    public void close() {
        sc.sc().removeSparkListener(this);
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart e) {
        jobs++;
        jobStart = e.time();
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd e) {
        jobEnd = e.time();
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        firstLaunch = Math.min(firstLaunch, e.taskInfo().launchTime());
        lastFinish = Math.max(lastFinish, e.taskInfo().finishTime());
        if (e.taskInfo().gettingResultTime() > 0) { // a result above spark.task.maxDirectResultSize, fetched from the block manager
            fetch = Math.max(fetch, e.taskInfo().finishTime() - e.taskInfo().gettingResultTime());
        }
        TaskMetrics m = e.taskMetrics();
        if (m == null) return;
        deserialize = Math.max(deserialize, m.executorDeserializeTime());
        run = Math.max(run, m.executorRunTime());
        cpu = Math.max(cpu, m.executorCpuTime() / 1e6);
        gc = Math.max(gc, m.jvmGCTime());
        serialize = Math.max(serialize, m.resultSerializationTime());
    }
}

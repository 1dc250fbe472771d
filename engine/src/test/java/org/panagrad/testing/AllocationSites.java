package org.panagrad.testing;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.panagrad.kernels.WorkerPool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where code allocates, from JFR's allocation samples over some more calls of it: what an allocation test prints
 * when it fails, so that a failure seen once (in CI, under another profile) names its allocating frames instead of
 * a byte count only. JFR samples at TLAB refills, weighted by the bytes they stand for: code allocating steadily
 * shows up within a few calls; a one-time allocation of a few bytes usually does not. Sites are ranked by their
 * number of allocations: the event types see the same allocations (a sample at a TLAB refill is also a new-TLAB
 * event, each with its own timestamp), so a site's count is the most any one type reports, not their sum.
 */
public final class AllocationSites {
    private static final int FRAMES = 4, SITES = 6;
    /** The sampler first (it is throttled unless told not to); the TLAB events are not, and catch what it skips. */
    private static final List<String> EVENTS = List.of("jdk.ObjectAllocationSample", "jdk.ObjectAllocationInNewTLAB",
            "jdk.ObjectAllocationOutsideTLAB");

    private static boolean prepared;
    /** Whether {@link #of} has recorded in this JVM (its recordings, unlike {@link #prepare}'s, come after warm-ups). */
    private static volatile boolean recorded;

    private AllocationSites() {}

    /**
     * Starts and stops one recording of the allocation events, so that JFR's one-time start-up happens now. Starting
     * JFR the first time in a JVM deoptimizes every compiled method (seen under -Xbatch with -XX:+PrintCompilation:
     * some 2,000 methods made not entrant together, right after JFR's bytecode instrumentation ran), so the sites
     * {@link #of} reports from the first recording are those of freshly deoptimized, C1 and interpreted code (the
     * MLP HVP's "packed4, packed12Into, narrowColumnMajor" of session 11, all C2 code before), not the code that
     * allocated. Worse, every measurement after it starts from C1 code again: one kernel still allocating at its
     * deadline made KernelAllocationTest fail a dozen kernels after it at once (seen in CI and on a quiet machine).
     * A test that may ask for sites calls this before its warm-up ({@link SteadyState} does); only the first call
     * records.
     */
    public static synchronized void prepare() {
        if (prepared) return;
        prepared = true;
        try (Recording recording = new Recording()) {
            for (String event : EVENTS) recording.enable(event).withStackTrace();
            recording.start();
            recording.stop();
        }
    }

    /**
     * Whether sites were recorded before in this JVM: a later allocation report may then be the deoptimization that
     * recording caused (compiled kernels run as C1 code, which allocates, until C2 compiles them again), not a
     * culprit of its own.
     */
    public static boolean recordedBefore() {
        return recorded;
    }

    /** The most sampled allocation sites over {@code calls} more calls of action: count, class, thread, frames. */
    public static String of(Runnable action, int calls) {
        recorded = true;
        Path file = null;
        try (Recording recording = new Recording()) {
            for (String event : EVENTS) recording.enable(event).withStackTrace();
            recording.enable(EVENTS.get(0)).with("throttle", "off");
            recording.start();
            Instant from = Instant.now();
            for (int i = 0; i < calls; i++) action.run();
            Instant to = Instant.now();
            recording.stop();
            file = Files.createTempFile("allocation-sites", ".jfr");
            recording.dump(file);
            // Another recording running (a JFR profile of the test JVM) adds its own event types to the dump, and
            // its chunks may reach back before this one started: only the window's allocation events count.
            List<RecordedEvent> window = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> EVENTS.contains(e.getEventType().getName()))
                    .filter(e -> !e.getStartTime().isBefore(from) && !e.getStartTime().isAfter(to))
                    .collect(Collectors.toList());
            return summary(window, Thread.currentThread().getName());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the allocation recording " + file, e);
        } finally {
            if (file != null) file.toFile().delete();
        }
    }

    /** The sites on the calling thread and the pool's workers, the threads AllocationMeter counts. */
    private static String summary(List<RecordedEvent> events, String caller) {
        // Counted by samples: a sample's weight (bytes since the thread's previous one) includes everything the
        // thread allocated before the recording started.
        Map<String, Map<String, Integer>> byType = new HashMap<>();
        for (RecordedEvent e : events) {
            if (e.getStackTrace() == null) continue;
            // The JDK's frames (the Vector API's fallbacks, collections) say what allocated, ours say where.
            String frames = e.getStackTrace().getFrames().stream().filter(f -> !jdk(f)).limit(FRAMES)
                    .map(AllocationSites::frame)
                    .collect(Collectors.joining(" < "));
            String thread = e.getThread() == null ? "" : e.getThread().getJavaName();
            if (!thread.equals(caller) && !thread.startsWith(WorkerPool.THREAD_NAME_PREFIX)) continue;
            byType.computeIfAbsent(e.getClass("objectClass").getName() + " on " + thread + " at " + frames,
                    site -> new HashMap<>()).merge(e.getEventType().getName(), 1, Integer::sum);
        }
        Map<String, Integer> samples = new HashMap<>();
        byType.forEach((site, counts) -> samples.put(site, Collections.max(counts.values())));
        if (samples.isEmpty()) return "no allocation samples (a one-time or very small allocation)";
        return samples.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(SITES).map(s -> s.getValue() + " x " + s.getKey()).collect(Collectors.joining("; "));
    }

    private static boolean jdk(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return type.startsWith("java.") || type.startsWith("jdk.") || !type.contains(".");
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName().replaceFirst(".*\\.", "") + "." + f.getMethod().getName()
                + ":" + f.getLineNumber();
    }
}

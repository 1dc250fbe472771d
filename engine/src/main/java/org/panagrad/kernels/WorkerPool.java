package org.panagrad.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of daemon threads, created once, that run the parts of one task together with the calling
 * thread (which always runs part 0). Handing out work writes one volatile field per helper and unparks it:
 * no queue, no futures, nothing allocated per call. Helpers spin briefly before parking because kernels
 * tend to come back to back; the spin is short because the cores are shared with the rest of the program.
 * <p>
 * A helper must claim its part before it runs it, and the caller, once its own part is done, takes back every
 * part no helper has claimed yet and runs it itself: it never waits for a helper that has not begun (one that
 * parked, or whose core is taken, and wakes milliseconds late for a product of microseconds). Parts are
 * independent, so who runs one does not change its result; parts that wait for each other (a barrier) cannot
 * let part 0 finish before every helper has claimed its part, so nothing is taken back from them.
 * <p>
 * One task runs at a time. A caller that finds the pool busy gets {@code false} from {@link #tryRun}
 * and does the work alone, so concurrent callers never wait on each other or deadlock.
 */
public final class WorkerPool {
    /** Work that can be cut into parts; part p of n is independent of the others. */
    public interface Task {
        void runPart(int part, int parts);
    }

    /** Thrown by a part that stops because another part of the same task failed; the pool reports that one. */
    static final class Abandoned extends IllegalStateException {
        Abandoned(String message) {
            super(message);
        }
    }

    /** Every helper thread's name starts with this (AllocationMeter and the tests' allocation sites find them by it). */
    public static final String THREAD_NAME_PREFIX = "panagrad-worker-";

    private static final int SPINS_BEFORE_PARK = 2000;

    private final Helper[] helpers;
    // Not a ReentrantLock: a task that calls back into the pool from part 0 must run alone, not re-enter.
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicInteger unfinished = new AtomicInteger();
    private volatile Thread caller;
    private volatile Throwable helperFailure;
    private volatile boolean closed;

    /** Run by a helper that has seen an offered part, before it claims it; null but in tests that delay helpers. */
    private final Runnable beforeClaim;

    /** A pool whose tasks run on {@code threads} threads in total: the caller plus threads - 1 helpers. */
    public WorkerPool(int threads) {
        this(threads, null);
    }

    WorkerPool(int threads, Runnable beforeClaim) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.beforeClaim = beforeClaim;
        helpers = new Helper[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper(i);
            helpers[i].start();
        }
    }

    public int threads() {
        return helpers.length + 1;
    }

    /**
     * Runs parts 0 .. parts-1 of the task, part 0 on this thread, and returns when all are done.
     * Returns false without running anything when parts exceed {@link #threads()} or another task is running.
     */
    public boolean tryRun(Task task, int parts) {
        if (parts > threads() || closed || !running.compareAndSet(false, true)) return false;
        try {
            helperFailure = null;
            caller = Thread.currentThread();
            unfinished.set(parts - 1);
            for (int h = 0; h < parts - 1; h++) helpers[h].assign(task, h + 1, parts);
            Throwable own = null;
            try {
                task.runPart(0, parts);
                for (int h = 0; h < parts - 1; h++) {
                    if (helpers[h].takeBack()) {
                        unfinished.decrementAndGet();
                        task.runPart(h + 1, parts);
                    }
                }
            } catch (Throwable t) {
                own = t;
                // Parts not yet claimed are not run: nobody waits for them.
                for (int h = 0; h < parts - 1; h++) {
                    if (helpers[h].takeBack()) unfinished.decrementAndGet();
                }
            }
            awaitHelpers();
            // The failure that started it first: parts that wait for each other stop (Abandoned) when one fails.
            Throwable helper = helperFailure;
            if (helper != null && !(helper instanceof Abandoned && own != null)) {
                IllegalStateException e = new IllegalStateException("a worker thread failed", helper);
                if (own != null) e.addSuppressed(own);
                throw e;
            }
            if (own != null && helper != null) own.addSuppressed(helper);
            if (own instanceof RuntimeException) throw (RuntimeException) own;
            if (own instanceof Error) throw (Error) own;
            return true;
        } finally {
            caller = null;
            running.set(false);
        }
    }

    private void awaitHelpers() {
        int spins = 0;
        while (unfinished.get() != 0) {
            if (spins++ < SPINS_BEFORE_PARK) Thread.onSpinWait();
            else LockSupport.park(this);
        }
    }

    /** Keeps the failure that started it: a helper that stopped because another failed does not replace it. */
    private synchronized void recordFailure(Throwable e) {
        if (helperFailure == null || (helperFailure instanceof Abandoned && !(e instanceof Abandoned))) helperFailure = e;
    }

    /** Stops the helper threads once they finish what they are running. */
    public void close() {
        closed = true;
        for (Helper h : helpers) LockSupport.unpark(h);
    }

    private final class Helper extends Thread {
        private static final int IDLE = 0, OFFERED = 1, RUNNING = 2;
        /**
         * IDLE, OFFERED (task, part and parts written, not yet claimed) or RUNNING (claimed by this helper). The
         * caller writes the fields only while IDLE; the helper reads them only after its claim (OFFERED to
         * RUNNING) succeeded, so a helper that wakes after the caller took its part back runs nothing.
         */
        private final AtomicInteger state = new AtomicInteger(IDLE);
        private Task task;
        private int part, parts;

        Helper(int index) {
            super(THREAD_NAME_PREFIX + (index + 1));
            setDaemon(true);
        }

        void assign(Task task, int part, int parts) {
            this.task = task;
            this.part = part;
            this.parts = parts;
            state.set(OFFERED); // volatile write last: publishes task, part and parts
            LockSupport.unpark(this);
        }

        /** Whether the caller took the part back before this helper claimed it. */
        boolean takeBack() {
            if (!state.compareAndSet(OFFERED, IDLE)) return false;
            task = null;
            return true;
        }

        @Override
        public void run() {
            int spins = 0;
            while (!closed) {
                boolean offered = state.get() == OFFERED;
                if (offered && beforeClaim != null) beforeClaim.run();
                if (!offered || !state.compareAndSet(OFFERED, RUNNING)) {
                    if (spins++ < SPINS_BEFORE_PARK) Thread.onSpinWait();
                    else LockSupport.park(this);
                    continue;
                }
                spins = 0;
                try {
                    task.runPart(part, parts);
                } catch (Throwable e) {
                    recordFailure(e);
                }
                task = null;
                Thread waiting = caller;
                state.set(IDLE); // before the count: the caller assigns again only once it reaches 0
                if (unfinished.decrementAndGet() == 0) LockSupport.unpark(waiting);
            }
        }
    }
}

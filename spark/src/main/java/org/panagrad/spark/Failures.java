package org.panagrad.spark;

import java.util.concurrent.Callable;

/** Runs a Spark job and turns its failure into the executor's own message (see {@link ShardException}). */
final class Failures {
    private static final String MARKER = ShardException.class.getName() + ": ";

    private Failures() {}

    static <T> T rethrowingExecutorMessage(Callable<T> job) {
        try {
            return job.call();
        } catch (ShardException | IllegalArgumentException | IllegalStateException driverSide) {
            throw driverSide;
        } catch (Exception e) {
            throw unwrap(e);
        }
    }

    /** The executor's message: from the deserialized cause when Spark kept it, else from Spark's failure text. */
    static RuntimeException unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShardException) return new DistributedException(t.getMessage(), e);
        }
        String text = String.valueOf(e.getMessage());
        int at = text.indexOf(MARKER);
        if (at >= 0) {
            String message = text.substring(at + MARKER.length());
            int end = message.indexOf("\n\tat ");
            if (end < 0) end = message.indexOf('\n');
            return new DistributedException(end < 0 ? message : message.substring(0, end), e);
        }
        return e instanceof RuntimeException r ? r : new DistributedException(text, e);
    }
}
